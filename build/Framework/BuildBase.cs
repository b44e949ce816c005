using Spectre.Console;

namespace Rates.Build.Framework;

/// <summary>
/// Base class of a build (NUKE's <c>NukeBuild</c>): well-known paths, CI detection and process helpers.
/// Targets are <see cref="Target"/> properties and parameters are <see cref="ParameterAttribute"/> members
/// of the derived class; <see cref="BuildRunner"/> runs it.
/// </summary>
public abstract class BuildBase
{
    /// <summary>The file whose folder is the repository root.</summary>
    public const string RootMarker = "Rates.sln";

    private static readonly Lazy<AbsolutePath> s_rootDirectory = new(FindRootDirectory);
    private BuildContext? _context;

    /// <summary>The folder holding Rates.sln. Static so parameter initializers can use it (as in NUKE).</summary>
    public static AbsolutePath RootDirectory => s_rootDirectory.Value;

    public static AbsolutePath ArtifactsDirectory => RootDirectory / "artifacts";

    /// <summary>Scratch space that is git-ignored and survives between runs (.nuke/temp).</summary>
    public static AbsolutePath TemporaryDirectory => RootDirectory / ".nuke" / "temp";

    /// <summary>True on CI (the CI variable, GitHub Actions, Azure Pipelines...).</summary>
    public static bool IsServerBuild { get; } =
        new[] { "CI", "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI", "JENKINS_URL", "TEAMCITY_VERSION" }
            .Any(name => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value && value != "false");

    public static bool IsLocalBuild => !IsServerBuild;

    /// <summary>The console of this run: write here, not to System.Console, so output stays in order.</summary>
    protected IAnsiConsole Output => Context.Console;

    /// <summary>Signalled on Ctrl+C; running processes are killed when it fires.</summary>
    protected CancellationToken CancellationToken => Context.CancellationToken;

    /// <summary>Runs commands with the build's secrets masked; hand it to helper classes that start processes.</summary>
    protected ProcessRunner Processes => Context.Processes;

    internal BuildContext Context
    {
        get => _context ?? throw new InvalidOperationException("The build was not started by BuildRunner.");
        set => _context = value;
    }

    /// <summary>
    /// Runs <paramref name="executable"/> (from PATH or a full path) in the repository root, streaming its output;
    /// throws <see cref="ProcessFailedException"/> with the command line and output tail when it fails.
    /// </summary>
    protected Task<ProcessResult> RunAsync(string executable, IEnumerable<string> arguments, ProcessOptions? options = null) =>
        Processes.RunAsync(executable, arguments, options, CancellationToken);

    protected Task<ProcessResult> DotNetAsync(IEnumerable<string> arguments, ProcessOptions? options = null) =>
        RunAsync("dotnet", arguments, options);

    private static AbsolutePath FindRootDirectory()
    {
        // The build binary lives under the repository (.nuke/temp/build-bin, tests/*/bin); the working
        // directory is the fallback for binaries copied elsewhere.
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, RootMarker)))
                    return AbsolutePath.Create(directory.FullName);
            }
        }

        throw new InvalidOperationException(
            $"Could not find the repository root (a folder containing {RootMarker}) above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}.");
    }
}

/// <summary>What the runner hands a build before its targets run.</summary>
internal sealed record BuildContext(IAnsiConsole Console, ProcessRunner Processes, CancellationToken CancellationToken);
