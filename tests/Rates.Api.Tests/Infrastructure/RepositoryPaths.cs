namespace Rates.Api.Tests.Infrastructure;

public static class RepositoryPaths
{
    /// <summary>The folder holding Rates.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The original service's dump, beside the repository: ../shared/xeneta/rates.sql.</summary>
    public static string OriginalDump => Path.GetFullPath(Path.Combine(Root, "..", "shared", "xeneta", "rates.sql"));

    public static string ProjectSeed => Path.Combine(Root, "db", "seed", "seed.sql");

    /// <summary>The original dump's path; fails the test (never skips it) when the file is missing.</summary>
    public static string RequireOriginalDump()
    {
        var path = OriginalDump;
        if (!File.Exists(path))
        {
            Assert.Fail($"The original dump is missing at {path} (expected at ../shared/xeneta/rates.sql from the repository root). " +
                "The compatibility tests need it; CI provides it.");
        }

        return path;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Rates.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Rates.sln above {AppContext.BaseDirectory}.");
    }
}
