using System.Diagnostics;
using System.Globalization;
using Rates.Build.Environments;
using Rates.Processes;

namespace Rates.Build.Benchmark;

/// <summary>
/// A second instance of the environment's service with the /rates cache on (<c>Rates__CacheEnabled=true</c>), on its
/// own port, against the same database: the benchmark measures the cache beside the environment's own instance
/// (cache as configured, off by default) without restarting it. Local runtime: the environment's published service as
/// a process; docker runtime: the environment's api image, <c>docker run --network host</c>. Stopped on dispose.
/// </summary>
internal sealed class CachedInstance : IAsyncDisposable
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(90);

    private readonly Process? _process;
    private readonly string? _container;

    private CachedInstance(int port, Process? process, string? container)
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

        CachedInstance instance;
        if (runtime == EnvironmentRuntime.Local)
        {
            var dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
            var start = new ProcessStartInfo(dotnet) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = store.ApiDirectory };
            start.ArgumentList.Add(store.ApiDirectory / LocalEnvironment.ApiAssembly);
            start.Environment["ConnectionStrings__Rates"] = null;
            foreach (var (name, value) in settings)
                start.Environment[name] = value;
            var process = Process.Start(start) ?? throw new BuildFailedException($"Could not start {dotnet}.");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            instance = new CachedInstance(port, process, null);
        }
        else
        {
            var project = EnvironmentNames.ProjectName(store.Name);
            var id = await RunDockerAsync(["compose", "-p", project, "ps", "-q", "api"], null, cancellationToken);
            var image = await RunDockerAsync(["inspect", "--format", "{{.Config.Image}}", id.Trim()], null, cancellationToken);
            var name = $"{project}-benchmark-cached";
            List<string> arguments = ["run", "-d", "--rm", "--name", name, "--network", "host"];
            foreach (var variable in settings.Keys)
                arguments.AddRange(["-e", variable]);
            await RunDockerAsync([.. arguments, image.Trim()], settings, cancellationToken);
            instance = new CachedInstance(port, null, name);
        }

        var ready = await ServiceProbe.WaitUntilReadyAsync(port, s_readyTimeout, () => instance._process is not { HasExited: true }, cancellationToken);
        if (!ready.Ready)
        {
            await instance.DisposeAsync();
            throw new BuildFailedException($"The benchmark's instance with the cache on did not become ready on port {port} ({ready.Detail}).");
        }

        return instance;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        if (_container is not null)
            await CommandRunner.RunAsync("docker", ["rm", "-f", _container]);
    }

    private static async Task<string> RunDockerAsync(List<string> arguments, IReadOnlyDictionary<string, string?>? environment, CancellationToken cancellationToken)
    {
        var result = await CommandRunner.RunAsync("docker", arguments, new CommandSettings { Environment = environment ?? new Dictionary<string, string?>() }, cancellationToken);
        if (!result.Succeeded || result.StandardOutput.Trim().Length == 0)
            throw new BuildFailedException($"`{result.CommandLine}` failed (exit code {result.ExitCode}): {string.Join(Environment.NewLine, result.Tail(10))}");
        return result.StandardOutput;
    }
}
