using System.Net.Sockets;
using Rates.Build.Benchmark;
using Rates.Build.Framework;

namespace Rates.Build.Environments;

/// <summary>The local runtime as an <see cref="IEnvironmentRuntime"/>: what runs is read from its pid files.</summary>
internal sealed partial class LocalEnvironment
{
    public EnvironmentRuntime Kind => EnvironmentRuntime.Local;

    /// <summary>The one place the local runtime says which topologies and add-ons it runs.</summary>
    public void CheckSupports(EnvironmentShape shape)
    {
        if (shape.Topology != Topology.Single)
            throw new BuildFailedException($"The {shape} topology needs the docker runtime (the local runtime runs the single topology only); use --runtime docker.");
        if (shape.AddOns != EnvironmentAddOns.None)
            throw new BuildFailedException($"The add-ons {shape.AddOns} need the docker runtime; use --runtime docker.");
    }

    public Task<RunningEnvironment?> InspectAsync(EnvironmentStore store, EnvironmentState? state)
    {
        var live = Inspect(store, state);
        return Task.FromResult(live.IsUp
            ? new RunningEnvironment(store, state, this, state?.Shape ?? EnvironmentShape.Default,
                live.ApiPid is null ? null : state?.ApiPort,
                live.PostgresPid is null ? null : live.PostgresPort ?? state?.DbPort)
            : null);
    }

    public Task<IReadOnlySet<int>> OwnPortsAsync(EnvironmentStore store, EnvironmentState? state)
    {
        var live = Inspect(store, state);
        IReadOnlySet<int> own = new[] { live.PostgresPort, live.ApiPid is null ? null : state?.ApiPort }.OfType<int>().ToHashSet();
        return Task.FromResult(own);
    }

    public Task<bool> HasDataAsync(EnvironmentStore store) => Task.FromResult((store.PgData / "PG_VERSION").FileExists);

    public Task UpAsync(UpPlan plan, UpInputs inputs) => UpAsync(plan, inputs.PublishedApi, inputs.Dump ?? inputs.SeedFile, inputs.PgBin);

    public async Task<bool> DownAsync(EnvironmentStore store, EnvironmentState? state, bool volumes)
    {
        var wasUp = await DownAsync(store, state);
        if (volumes)
        {
            store.PgData.DeleteDirectory();
            store.ApiDirectory.DeleteDirectory();
        }

        return wasUp;
    }

    public async Task<(string Services, string Health, string Ports)> StatusAsync(RunningEnvironment environment)
    {
        var live = Inspect(environment.Store, environment.State);
        var services = new List<string>();
        var health = new List<string>();
        var ports = new List<string>();
        if (live.PostgresPid is { } postgresPid && environment.DbPort is { } dbPort)
        {
            services.Add($"db (pid {postgresPid})");
            health.Add($"db: {(await AcceptsConnectionsAsync(dbPort) ? "accepting connections" : "not listening")}");
            ports.Add($"db {dbPort}");
        }

        if (live.ApiPid is { } apiPid && environment.ApiPort is { } apiPort)
        {
            services.Add($"api (pid {apiPid})");
            health.Add($"api: {(await ServiceProbe.ReadyAsync(apiPort, cancellationToken)).Detail}");
            ports.Add($"api {apiPort}");
        }

        return (string.Join(", ", services), string.Join("; ", health), string.Join(", ", ports));
    }

    public Task WriteDetailsAsync(RunningEnvironment environment) => Task.CompletedTask;

    public Task<(string Detail, string ServiceDotNet, IReadOnlyList<string> Notes)> DescribeAsync(RunningEnvironment environment, string password)
    {
        var store = environment.Store;
        var configuration = AssemblyOptimization.ConfigurationOf(store.ApiDirectory / ApiAssembly);
        var notes = new List<string>();
        if (configuration == "Debug")
        {
            notes.Add("The service is a Debug build (no JIT optimizations), so the API figures are lower than a Release build's; " +
                      $"bring the environment up with `{RuntimeSelection.UpCommand(store.Name)} --configuration Release` for representative figures.");
        }

        var detail = $"PostgreSQL ({environment.State?.PgBin ?? "embedded binaries"}) and the published service ({store.ApiDirectory.RelativeTo(BuildBase.RootDirectory)}) " +
                     $"run as processes on this machine; service build {configuration ?? "unknown"}";
        return Task.FromResult<(string, string, IReadOnlyList<string>)>((detail,
            $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription} (the same dotnet host)", notes));
    }

    private async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
