partial class Build
{
    static AbsolutePath PublishDirectory => ArtifactsDirectory / "publish";

    /// <summary>The deployable projects; each lands in artifacts/publish/&lt;name&gt;.</summary>
    static readonly string[] PublishedProjects = ["Rates.Api", "Rates.Migrator"];

    Target Publish => _ => _
        .Description("Publishes Rates.Api and Rates.Migrator (framework-dependent) to artifacts/publish/<project>.")
        .DependsOn(Compile)
        .Executes(async () =>
        {
            foreach (var project in PublishedProjects)
            {
                var output = (PublishDirectory / project).CreateOrCleanDirectory();
                // Compile already built this configuration; publishing without a rebuild ships exactly those binaries.
                await DotNetAsync(["publish", SourceDirectory / project / $"{project}.csproj", "--no-build", "-nologo",
                    "-c", Configuration.ToString(), "-o", output]);
                Output.WriteLine($"Published {project} to {output.RelativeTo(RootDirectory)}");
            }
        });
}
