partial class Build
{
    static AbsolutePath PublishDirectory => ArtifactsDirectory / "publish";

    /// <summary>The deployable projects; each lands in artifacts/publish/&lt;name&gt;.</summary>
    static readonly string[] PublishedProjects = ["Rates.Api", "Rates.Migrator"];

    Target Publish => _ => _
        .Description("Publishes Rates.Api and Rates.Migrator (framework-dependent) to artifacts/publish/<project>, compiling only them " +
                     "and what they reference.")
        .After(Compile)
        // Up decides its runtime first (PrepareEnvironment); on docker the image holds the service and nothing is published.
        .OnlyWhen("Up runs on the local runtime; the docker runtime runs the image", () => UpNeedsPublish)
        .Executes(async () =>
        {
            foreach (var project in PublishedProjects)
            {
                var output = (PublishDirectory / project).CreateOrCleanDirectory();
                // Restores and builds this project and its references only, not the whole solution with its tests.
                await DotNetAsync(["publish", SourceDirectory / project / $"{project}.csproj", "-nologo", "-c", Configuration.ToString(), "-o", output]);
                Output.WriteLine($"Published {project} to {output.RelativeTo(RootDirectory)}");
            }
        });
}
