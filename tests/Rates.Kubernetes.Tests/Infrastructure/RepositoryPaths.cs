namespace Rates.Kubernetes.Tests.Infrastructure;

public static class RepositoryPaths
{
    /// <summary>The folder holding Rates.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    public static string Kubernetes => Path.Combine(Root, "deploy", "kubernetes");

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
