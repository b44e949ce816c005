using Rates.Build.Environments;

partial class Build
{
    const string ImageName = "rates-api";

    static AbsolutePath Dockerfile => SourceDirectory / "Rates.Api" / "Dockerfile";

    [Parameter("Registry (and namespace) Push sends the image to, e.g. ghcr.io/my-org: pushed as <registry>/rates-api:<version> and :latest.")]
    [UsedBy(nameof(Push))]
    readonly string? Registry;

    [Parameter("User name for `docker login` before Push (with --registry-password; omit both when already logged in).")]
    [UsedBy(nameof(Push))]
    readonly string? RegistryUsername;

    [Parameter("Password or token for `docker login` before Push; passed to docker on standard input, never on the command line.")]
    [Secret]
    [UsedBy(nameof(Push))]
    readonly string? RegistryPassword;

    DockerCli? _docker;
    ImageSource? _imageSource;

    DockerCli Docker => _docker ??= new DockerCli(Processes, CancellationToken);

    /// <summary>Version, revision and source of the image, read from git once per run.</summary>
    async Task<ImageSource> ImageSourceAsync() => _imageSource ??= await GitInfo.ReadAsync(Processes, RootDirectory, CancellationToken);

    Target Image => _ => _
        .Description($"Builds the service image {ImageName}:<version> and {ImageName}:latest from src/Rates.Api/Dockerfile " +
                     "(version: the git tag of the commit, else the short commit, '-dirty' with uncommitted changes, 'dev' without git).")
        // Up decides its runtime first (PrepareEnvironment); the local runtime runs the published build and needs no image.
        .OnlyWhen("Up runs on docker; the local runtime needs no image", () => UpNeedsImage)
        .Executes(async () =>
        {
            await Docker.EnsureEngineAsync();
            var source = await ImageSourceAsync();
            List<string> arguments =
            [
                "build", "-f", Dockerfile,
                "--build-arg", $"VERSION={source.Version}",
                "--build-arg", $"REVISION={source.Revision}",
                "--build-arg", $"SOURCE={source.SourceUrl}",
                "-t", $"{ImageName}:{source.Version}",
                "-t", $"{ImageName}:latest",
            ];
            // A NuGet setting the developer chose for this machine (e.g. offline certificate revocation checks where the
            // revocation servers are unreachable) applies to the restore inside the image build too; nothing when unset.
            if (Environment.GetEnvironmentVariable("NUGET_CERT_REVOCATION_MODE") is { Length: > 0 } revocationMode)
                arguments.AddRange(["--build-arg", $"NUGET_CERT_REVOCATION_MODE={revocationMode}"]);
            arguments.Add(RootDirectory);
            await Docker.RunAsync(arguments);
            Output.WriteLine($"Built {ImageName}:{source.Version} and {ImageName}:latest (revision {source.Revision}, source {source.SourceUrl}).");
        });

    Target Push => _ => _
        .Description($"Pushes {ImageName}:<version> and :latest to --registry, after `docker login` when --registry-username/--registry-password are given.")
        .DependsOn(Image)
        .Requires(() => Registry)
        .Executes(async () =>
        {
            var registry = RegistryReference.Parse(Registry);
            var source = await ImageSourceAsync();
            if (!ImageVersion.IsPublishable(source.Version))
            {
                throw new BuildFailedException(
                    $"Refusing to push version '{source.Version}': only an image built from a commit without uncommitted changes " +
                    "is pushed, so that its tag names exactly what it contains. Commit (or stash) the changes and run again.");
            }

            await DockerLoginAsync(registry);
            var repository = registry.Repository(ImageName);
            foreach (var tag in new[] { source.Version, "latest" })
            {
                await Docker.RunAsync(["tag", $"{ImageName}:{source.Version}", $"{repository}:{tag}"]);
                await Docker.RunAsync(["push", $"{repository}:{tag}"]);
            }

            Output.WriteLine($"Pushed {repository}:{source.Version} and {repository}:latest.");
        });

    /// <summary>`docker login` to the registry when --registry-username/--registry-password are given; nothing without them.</summary>
    async Task DockerLoginAsync(RegistryReference registry)
    {
        if (string.IsNullOrEmpty(RegistryUsername) != string.IsNullOrEmpty(RegistryPassword))
            throw new BuildFailedException("Give both --registry-username and --registry-password (RATES_REGISTRY_USERNAME / RATES_REGISTRY_PASSWORD), or neither to use an existing `docker login`.");
        if (!string.IsNullOrEmpty(RegistryUsername))
        {
            // --password-stdin: the secret never appears in a process list or the log.
            await Docker.RunAsync(["login", .. registry.LoginServer is null ? Array.Empty<string>() : [registry.LoginServer],
                "--username", RegistryUsername, "--password-stdin"], new ProcessOptions { StandardInput = RegistryPassword + "\n" });
        }
    }
}
