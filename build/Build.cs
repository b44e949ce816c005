/// <summary>
/// The Rates build. Targets live in one partial file per concern (Build.Test.cs, Build.Publish.cs, ...):
/// adding a target is adding a <see cref="Target"/> property; adding a parameter is adding a [Parameter] member with
/// [UsedBy] naming the targets that read it. Parameters are also read from RATES_&lt;NAME&gt; environment variables (--pg-bin:
/// RATES_PG_BIN), never from an unprefixed ENV or DUMP of the caller's shell.
/// </summary>
[ParameterPrefix("RATES")]
partial class Build : BuildBase
{
    public static Task<int> Main(string[] args) => BuildRunner.ExecuteAsync<Build>(args);

    [Parameter("Build configuration.")]
    [UsedBy(nameof(Compile), nameof(Test), nameof(Publish))]
    readonly Configuration Configuration = Configuration.Debug;

    static AbsolutePath Solution => RootDirectory / "Rates.sln";
    static AbsolutePath SourceDirectory => RootDirectory / "src";
    static AbsolutePath ToolsDirectory => RootDirectory / "tools";
    static AbsolutePath TestsDirectory => RootDirectory / "tests";

    Target Clean => _ => _
        .Description("Deletes bin/ and obj/ under src/, tools/ and tests/, and artifacts/.")
        .Before(Restore)
        .Executes(() =>
        {
            var directories = new[] { SourceDirectory, ToolsDirectory, TestsDirectory }
                .SelectMany(OutputDirectories)
                .Append(ArtifactsDirectory)
                .Where(d => d.DirectoryExists)
                .ToList();
            foreach (var directory in directories)
            {
                Output.WriteLine($"Deleting {directory.RelativeTo(RootDirectory)}");
                directory.DeleteDirectory();
            }

            Output.WriteLine(directories.Count == 0 ? "Nothing to clean." : $"Deleted {directories.Count} directories.");
        });

    Target Restore => _ => _
        .Description("Restores the NuGet packages of Rates.sln.")
        .Executes(() => DotNetAsync(["restore", Solution, "-nologo"]));

    Target Compile => _ => _
        .Description("Builds Rates.sln.")
        .DependsOn(Restore)
        .Executes(() => DotNetAsync(["build", Solution, "--no-restore", "-nologo", "-c", Configuration.ToString()]));

    /// <summary>bin/ and obj/ folders below <paramref name="directory"/>, without descending into them.</summary>
    static IEnumerable<AbsolutePath> OutputDirectories(AbsolutePath directory)
    {
        if (!directory.DirectoryExists)
            yield break;
        foreach (var child in Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
        {
            var path = AbsolutePath.Create(child);
            if (path.Name is "bin" or "obj")
            {
                yield return path;
                continue;
            }

            foreach (var nested in OutputDirectories(path))
                yield return nested;
        }
    }
}

enum Configuration
{
    Debug,
    Release,
}
