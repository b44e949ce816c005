namespace Rates.Api.Tests.Infrastructure;

/// <summary>
/// The original service's dump: <c>db/rates.sql</c> of the public repository xeneta/operations-task. The compatibility
/// tests find it through one setting, <c>RATES_ORIGINAL_DUMP</c>; without it they look for xeneta/rates.sql in a
/// folder named shared beside the repository (as the README's "Tests and CI" describes), and are skipped, with
/// <see cref="SkipReason"/>, when neither names a file.
/// </summary>
public static class OriginalDump
{
    public const string Setting = "RATES_ORIGINAL_DUMP";

    public const string Download = "https://github.com/xeneta/operations-task/blob/HEAD/db/rates.sql";

    /// <summary>The dump's path, or null when the setting is unset and the fallback does not exist.</summary>
    public static string? Path { get; } = Find(Environment.GetEnvironmentVariable(Setting), RepositoryPaths.Root);

    /// <summary>Why the compatibility tests are skipped, or null when they run.</summary>
    public static string? SkipReason => Path is null ? ReasonWithout : null;

    internal const string ReasonWithout =
        $"Needs the original service's dump, which is not part of this repository: download db/rates.sql from the public " +
        $"repository xeneta/operations-task ({Download}) and set {Setting} to its path.";

    /// <summary>
    /// The setting when given (even when it names a missing file: that fails the tests, naming it, instead of
    /// skipping them), else the fallback beside the repository when it exists, else null.
    /// </summary>
    internal static string? Find(string? setting, string repositoryRoot)
    {
        if (!string.IsNullOrWhiteSpace(setting))
        {
            return System.IO.Path.GetFullPath(setting.Trim());
        }

        var fallback = System.IO.Path.GetFullPath(System.IO.Path.Combine(repositoryRoot, "..", "shared", "xeneta", "rates.sql"));
        return File.Exists(fallback) ? fallback : null;
    }

    /// <summary>The dump's path for a test that runs; fails the test when the setting names a missing file.</summary>
    public static string Require()
    {
        var path = Path ?? throw new InvalidOperationException(SkipReason);
        if (!File.Exists(path))
        {
            Assert.Fail($"{Setting} names {path}, which does not exist. Point it at db/rates.sql of xeneta/operations-task ({Download}).");
        }

        return path;
    }
}

/// <summary>A test that needs the original dump: skipped with <see cref="OriginalDump.SkipReason"/> when it is not available.</summary>
public sealed class OriginalDumpFactAttribute : FactAttribute
{
    public OriginalDumpFactAttribute() => Skip = OriginalDump.SkipReason;
}
