using System.Globalization;
using Rates.Build.Environments;
using Rates.Processes;

namespace Rates.Build.Benchmark;

/// <summary>
/// A second instance of the environment's service with the /rates cache on (<c>Rates__CacheEnabled=true</c>), on its
/// own port, against the same database: the benchmark measures the cache beside the environment's own instance
/// (cache as configured, off by default) without restarting it. Local runtime: the environment's published service as
/// a process; docker runtime: the environment's api image, <c>docker run --network host</c>. <see cref="StopAsync"/> stops it
/// and checks its exit; disposing kills what still runs.
/// </summary>
internal sealed class CachedInstance : IAsyncDisposable
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(30);

    private readonly BackgroundProcess _process;
    private readonly string? _container;

    private CachedInstance(int port, BackgroundProcess process, string? container)
    {
        Port = port;
        _process = process;
        _container = container;
    }

    public int Port { get; }

    public Uri Url => new(ServiceProbe.BaseUrl(Port));

    /// <exception cref="BuildFailedException">The instance could not be started or did not become ready.</exception>
    public static async Task<CachedInstance> StartAsync(EnvironmentStore store, EnvironmentRuntime runtime, int dbPort, int port,
        CancellationToken cancellationToken)
    {
        if (!Rates.EmbeddedPostgres.PostgresCluster.IsPortFree(port))
            throw new BuildFailedException($"--benchmark-cached-port: {PortAllocator.InUseMessage(port)}.");
        // Signed in as the environment's own instance is: the service role, the writers' key by its hash.
        var settings = new Dictionary<string, string?>(store.SecretsOfRunning().ServiceSettings())
        {
            ["Database__Host"] = "127.0.0.1",
            ["Database__Port"] = dbPort.ToString(CultureInfo.InvariantCulture),
            ["Database__Name"] = PsqlCommand.Database,
            ["Service__Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Service__ListenAddress"] = "127.0.0.1",
            ["Rates__CacheEnabled"] = "true",
        };

        var instance = runtime == EnvironmentRuntime.Local
            ? new CachedInstance(port, StartProcess(store, settings), null)
            : await StartContainerAsync(store, settings, port, cancellationToken);
        var ready = await ServiceProbe.WaitUntilReadyAsync(port, s_readyTimeout, () => !instance._process.HasExited, cancellationToken);
        if (!ready.Ready)
        {
            var failure = new BuildFailedException($"The benchmark's instance with the cache on did not become ready on port {port} ({ready.Detail}): " +
                                                   instance._process.DescribeExit());
            await instance.DisposeAsync();
            throw failure;
        }

        return instance;
    }

    /// <summary>Stops it as an orchestrator does (SIGTERM, <c>docker stop</c>) and checks that it shut down cleanly (exit code 0).</summary>
    /// <exception cref="BuildFailedException">It had to be killed, or exited with another code; the message shows its last lines.</exception>
    public async Task StopAsync()
    {
        if (_container is not null)
            await CommandRunner.RunAsync("docker", ["stop", "--time", s_stopTimeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture), _container]);
        if (await _process.StopCleanlyAsync(s_stopTimeout) is { } problem)
            throw new BuildFailedException($"The benchmark's instance with the cache on did not stop cleanly: {problem}");
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        if (_container is not null)
            await CommandRunner.RunAsync("docker", ["rm", "-f", _container]);
    }

    /// <summary>The environment's published service (its private copy), configured only through its environment.</summary>
    private static BackgroundProcess StartProcess(EnvironmentStore store, Dictionary<string, string?> settings)
    {
        var dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        settings["ConnectionStrings__Rates"] = null;
        return Start(dotnet, [store.ApiDirectory / LocalEnvironment.ApiAssembly], new CommandSettings { WorkingDirectory = store.ApiDirectory, Environment = settings });
    }

    /// <summary>
    /// The environment's api image, attached (its output is kept), on the host's network. <c>-e NAME</c> without a value
    /// hands the variable from docker's own environment into the container: no secret on a command line.
    /// </summary>
    private static async Task<CachedInstance> StartContainerAsync(EnvironmentStore store, Dictionary<string, string?> settings, int port,
        CancellationToken cancellationToken)
    {
        var project = EnvironmentNames.ProjectName(store.Name);
        // The image the environment runs, as Up recorded it.
        var image = store.Load()?.ApiImage
            ?? throw new BuildFailedException($"Environment '{store.Name}' has no api image recorded in {store.StateFile}; run ./build.sh Up --env {store.Name} again.");
        var name = $"{project}-benchmark-cached";
        await CommandRunner.RunAsync("docker", ["rm", "-f", name], cancellationToken: cancellationToken); // left by an interrupted run
        List<string> arguments = ["run", "--rm", "--name", name, "--network", "host"];
        foreach (var variable in settings.Keys)
            arguments.AddRange(["-e", variable]);
        var process = Start("docker", [.. arguments, image], new CommandSettings { Environment = settings });
        return new CachedInstance(port, process, name);
    }

    private static BackgroundProcess Start(string program, IReadOnlyList<string> arguments, CommandSettings settings)
    {
        try
        {
            return BackgroundProcess.Start(program, arguments, settings);
        }
        catch (CommandStartException ex)
        {
            throw new BuildFailedException(ex.Message, ex);
        }
    }
}
