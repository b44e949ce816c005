using Rates.Build.Environments;
using Rates.Build.HighAvailability;

namespace Rates.Build.Chaos;

/// <summary>One injected fault: when it started, and when the cluster was whole again after it.</summary>
/// <param name="Healed">False when the cluster was not whole again within the heal timeout (the run stops injecting then).</param>
/// <param name="Injected">False when the fault's own step failed (e.g. Patroni refused the switchover).</param>
internal sealed record FaultRecord(string Name, string Detail, TimeSpan InjectedAt, TimeSpan HealedAt, bool Healed = true, bool Injected = true);

/// <summary>
/// The faults of a fault run, each followed by recovery: kill -9 of the leader's container, a planned switchover,
/// a network partition of the leader, kill -9 of one API replica, and a rolling deploy of the API replicas.
/// "Healed" means three running members with a leader and a synchronous standby, and every API replica up in HAProxy.
/// </summary>
internal sealed class ChaosFaults(IAnsiConsole console, DockerCli docker, RunningHa target, PatroniClient patroni, ChaosJournal journal, CancellationToken cancellationToken)
{
    private readonly HaEnvironment _environment = target.Runtime;
    private readonly HaOperations _operations = target.Operations(console, docker, cancellationToken);

    // A former leader's pg_rewind and restart take minutes on a busy small machine.
    private static readonly TimeSpan s_healTimeout = TimeSpan.FromSeconds(300);

    public static readonly string[] Names = ["kill-leader", "switchover", "partition-leader", "kill-api-replica", "rolling-deploy"];

    public TimeSpan PartitionTime { get; init; } = TimeSpan.FromSeconds(20);

    public async Task<FaultRecord> InjectAsync(string name)
    {
        var injectedAt = journal.Now;
        string detail;
        var injected = true;
        try
        {
            detail = await InjectOnlyAsync(name);
        }
        catch (Exception ex) when (ex is BuildFailedException or PatroniException or ProcessFailedException)
        {
            // Reported with the figures (and failing the run) rather than ending it without the data check.
            detail = $"the fault's own step failed: {ex.Message}";
            injected = false;
        }

        try
        {
            await HealAsync();
        }
        catch (BuildFailedException ex)
        {
            console.WriteLine($"  {name}: {detail}; NOT healed: {ex.Message}");
            return new FaultRecord(name, $"{detail}; not healed within {s_healTimeout.TotalSeconds:0} s ({ex.Message})", injectedAt, journal.Now, Healed: false, injected);
        }

        console.WriteLine($"  {name}: {detail}; healed after {HaOperations.Seconds(journal.Now - injectedAt)}");
        return new FaultRecord(name, detail, injectedAt, journal.Now, Injected: injected);
    }

    private async Task<string> InjectOnlyAsync(string name) => name switch
    {
        "kill-leader" => await KillLeaderAsync(),
        "switchover" => await SwitchoverAsync(),
        "partition-leader" => await PartitionLeaderAsync(),
        "kill-api-replica" => await KillApiReplicaAsync(),
        "rolling-deploy" => await DeployAsync(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, $"the faults are {string.Join(", ", Names)}"),
    };

    /// <summary>One more wait for a whole cluster; false (and said) when it is still not whole.</summary>
    public async Task<bool> TryHealAsync()
    {
        try
        {
            await HealAsync();
            return true;
        }
        catch (BuildFailedException ex)
        {
            console.WriteLine($"The cluster is still not whole: {ex.Message}");
            return false;
        }
    }

    public async Task HealAsync()
    {
        // A killed container is started again (Docker's restart policy does not restart a container killed by hand);
        // a former leader rejoins as a replica (pg_rewind).
        var stopped = (await docker.ListContainersAsync(EnvironmentNames.ProjectName(target.Name), all: true))
            .Where(c => !c.OneOff && !c.IsRunning && c.Service != HaTopology.SeedService).ToList();
        if (stopped.Count > 0)
            await docker.RunAsync(["start", .. stopped.Select(c => c.Id)], new ProcessOptions { Echo = false });
        await _environment.WaitForClusterAsync(patroni,
            c => c.Leader is not null && c.SyncStandby is not null && c.Members.Count(m => m.IsRunning) == HaTopology.PatroniServices.Length,
            s_healTimeout);
        await _environment.WaitForApiServersAsync(target.Name, target.State.ApiReplicas, s_healTimeout);
    }

    private async Task<string> KillLeaderAsync()
    {
        var leader = await LeaderContainerAsync();
        await docker.RunAsync(["kill", "--signal", "KILL", leader.Id], new ProcessOptions { Echo = false });
        // The killed node stays down until another one leads (its lock expired, the synchronous standby took over): started
        // again at once, it would still hold its lock and recover in place, and no failover would be measured.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cluster = await _environment.WaitForClusterAsync(patroni, c => c.Leader is { } l && l.Name != leader.Service, s_healTimeout);
        return $"kill -9 of {leader.Service}; {cluster.Leader!.Name} leads after {HaOperations.Seconds(clock.Elapsed)}";
    }

    private async Task<string> SwitchoverAsync()
    {
        var result = await _operations.SwitchoverAsync(patroni, target.State.Ports.Write, target.OwnerPassword);
        return $"{result.From} -> {result.To}, Patroni answered in {HaOperations.Seconds(result.Answered)}";
    }

    private async Task<string> PartitionLeaderAsync()
    {
        var leader = await LeaderContainerAsync();
        var inspect = await docker.RunAsync(["inspect", "--format", "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}", leader.Id],
            new ProcessOptions { Echo = false });
        var networks = inspect.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var network in networks)
            await docker.RunAsync(["network", "disconnect", network, leader.Id], new ProcessOptions { Echo = false });
        try
        {
            await Task.Delay(PartitionTime);
        }
        finally
        {
            // The service name is the address the other containers use: it comes back as an alias.
            foreach (var network in networks)
                await docker.RunAsync(["network", "connect", "--alias", leader.Service, network, leader.Id], new ProcessOptions { Echo = false }, evenWhenCancelled: true);
        }

        return $"{leader.Service} cut off from {string.Join(", ", networks)} for {PartitionTime.TotalSeconds:0} s";
    }

    private async Task<string> KillApiReplicaAsync()
    {
        var api = (await _environment.RunningContainersAsync(target.Name)).FirstOrDefault(c => c.Service == HaTopology.ApiService)
            ?? throw new BuildFailedException($"Environment '{target.Name}' has no running API replica.");
        await docker.RunAsync(["kill", "--signal", "KILL", api.Id], new ProcessOptions { Echo = false });
        return $"kill -9 of {api.Name}";
    }

    private async Task<string> DeployAsync()
    {
        var replaced = await _operations.DeployAsync(target.Name, target.Project(), target.State.ApiReplicas, TimeSpan.FromSeconds(30));
        return $"{replaced.Count} API replica(s) replaced one at a time";
    }

    private async Task<ComposeContainer> LeaderContainerAsync()
    {
        var cluster = await patroni.ReadClusterAsync(CancellationToken.None);
        var leader = cluster.Leader ?? throw new BuildFailedException($"The cluster has no running leader ({HaEnvironment.Describe(cluster)}).");
        return (await _environment.RunningContainersAsync(target.Name)).FirstOrDefault(c => c.Service == leader.Name)
            ?? throw new BuildFailedException($"No running container of service {leader.Name} (the leader) in environment '{target.Name}'.");
    }
}
