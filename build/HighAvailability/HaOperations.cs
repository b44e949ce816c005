using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Rates.Build.Environments;

namespace Rates.Build.HighAvailability;

/// <summary>What a planned switchover took.</summary>
/// <param name="Answered">Until Patroni answered POST /switchover (the old leader demoted, the candidate promoted).</param>
/// <param name="WritesBack">Until the first write through the write endpoint succeeded, from the request.</param>
internal sealed record SwitchoverResult(string From, string To, string PatroniAnswer, TimeSpan Answered, TimeSpan WritesBack, int FailedWrites);

/// <summary>One API replica replaced by <see cref="HaOperations.DeployAsync"/>.</summary>
internal sealed record ReplacedReplica(string OldContainer, string? Slot, TimeSpan Drained, string NewContainer, TimeSpan Took);

/// <summary>Operations on a running ha environment: planned switchover and rolling replacement of the API replicas.</summary>
internal sealed class HaOperations(IAnsiConsole console, DockerCli docker, HaEnvironment environment, CancellationToken cancellationToken)
{
    private static readonly TimeSpan s_writeTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Switches the leader over to the synchronous standby through Patroni's REST API, then waits until a commit
    /// (which waits for the new synchronous standby) succeeds through HAProxy's write endpoint.
    /// </summary>
    public async Task<SwitchoverResult> SwitchoverAsync(PatroniClient patroni, int writePort, string ownerPassword)
    {
        var cluster = await patroni.ReadClusterAsync(cancellationToken);
        var leader = cluster.Leader ?? throw new BuildFailedException($"The cluster has no running leader ({HaEnvironment.Describe(cluster)}); nothing to switch over.");
        var candidate = cluster.SyncStandby ?? throw new BuildFailedException(
            $"The cluster has no synchronous standby ({HaEnvironment.Describe(cluster)}); in synchronous mode only it may take over. Wait until Status shows one.");
        console.WriteLine($"Switching over from {leader.Name} to {candidate.Name} (the synchronous standby)");
        var clock = Stopwatch.StartNew();
        var answer = await patroni.SwitchoverAsync(leader.Name, candidate.Name, cancellationToken);
        var answered = clock.Elapsed;
        var failed = 0;
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = writePort, Database = LocalEnvironment.DatabaseName, Username = LocalEnvironment.DatabaseUser,
            Password = ownerPassword, Timeout = 3, CommandTimeout = 5, Pooling = false,
        }.ConnectionString;
        string? lastError = null;
        while (clock.Elapsed < s_writeTimeout)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                // txid_current() gives the statement a transaction id, so its commit is a real one: written on the new
                // leader and waiting for its synchronous standby. A standby refuses it.
                await using var command = new NpgsqlCommand("SELECT txid_current()", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return new SwitchoverResult(leader.Name, candidate.Name, answer, answered, clock.Elapsed, failed);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                failed++;
                lastError = ex.Message;
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }

        throw new BuildFailedException($"Patroni switched over ({answer}), but no write succeeded through 127.0.0.1:{writePort} within " +
                                       $"{s_writeTimeout.TotalSeconds:0} s; last error: {lastError}");
    }

    /// <summary>
    /// Replaces the API replicas one at a time with <paramref name="project"/>'s image. Each replacement starts first and
    /// is in HAProxy's rotation before the old replica leaves (so the endpoint never has fewer ready replicas than
    /// before); then the old one is drained in HAProxy until it has no session left, and stopped (the service's own
    /// drain then has nothing in flight). With <see cref="HaTopology.MaxApiReplicas"/> replicas there is no spare slot:
    /// the old one leaves first.
    /// </summary>
    public async Task<IReadOnlyList<ReplacedReplica>> DeployAsync(string environmentName, ComposeProject project, int replicas, TimeSpan drainTimeout)
    {
        var old = (await environment.RunningContainersAsync(environmentName)).Where(c => c.Service == HaTopology.ApiService).ToList();
        if (old.Count == 0)
            throw new BuildFailedException($"Environment '{environmentName}' has no running API replica to replace; run Up --topology ha.");
        var runtime = await environment.RuntimeApiAsync(environmentName);
        var surge = replicas < HaTopology.MaxApiReplicas;
        var replaced = new List<ReplacedReplica>();
        foreach (var container in old)
        {
            var clock = Stopwatch.StartNew();
            if (surge)
                await StartReplicasAsync(environmentName, project, replicas + 1);
            var (slot, drained) = await RemoveAsync(runtime, container, clock, drainTimeout);
            if (!surge)
                await StartReplicasAsync(environmentName, project, replicas);
            var current = (await environment.RunningContainersAsync(environmentName)).Where(c => c.Service == HaTopology.ApiService).Select(c => c.Name);
            var added = current.Except(old.Select(c => c.Name)).Except(replaced.Select(r => r.NewContainer)).FirstOrDefault() ?? "?";
            replaced.Add(new ReplacedReplica(container.Name, slot, drained, added, clock.Elapsed));
        }

        await environment.WaitForApiServersAsync(environmentName, replicas, TimeSpan.FromSeconds(60));
        return replaced;
    }

    private async Task StartReplicasAsync(string environmentName, ComposeProject project, int count)
    {
        await environment.ScaleApiAsync(project, count, recreate: false);
        await environment.WaitForApiServersAsync(environmentName, count, TimeSpan.FromSeconds(60));
    }

    /// <summary>Drains <paramref name="container"/> in HAProxy, stops and removes it, and frees its slot for the next address.</summary>
    private async Task<(string? Slot, TimeSpan Drained)> RemoveAsync(HaproxyRuntimeApi runtime, ComposeContainer container, Stopwatch clock, TimeSpan drainTimeout)
    {
        var addresses = await AddressesAsync(container.Id);
        var slot = (await runtime.ServersAsync(HaTopology.ApiBackend, cancellationToken))
            .FirstOrDefault(s => addresses.Any(a => s.Address == $"{a}:{HaTopology.ApiFrontPort}"));
        if (slot is not null)
        {
            await runtime.SetStateAsync(HaTopology.ApiBackend, slot.Name, HaproxyServerState.Drain, cancellationToken);
            await WaitUntilIdleAsync(runtime, slot.Name, drainTimeout);
        }

        var drained = clock.Elapsed;
        console.WriteLine($"Replacing {container.Name}{(slot is null ? " (not in HAProxy's rotation)" : $" (HAProxy server {slot.Name}, drained in {Seconds(drained)})")}");
        await docker.RunAsync(["stop", "--time", "40", container.Id], new ProcessOptions { Echo = false });
        await docker.RunAsync(["rm", container.Id], new ProcessOptions { Echo = false });
        // The slot goes back into rotation at once, for whichever address DNS gives it next (a replacement may get the
        // old one): its health check keeps it out until a replica there is ready.
        if (slot is not null)
            await runtime.SetStateAsync(HaTopology.ApiBackend, slot.Name, HaproxyServerState.Ready, cancellationToken);
        return (slot?.Name, drained);
    }

    private async Task WaitUntilIdleAsync(HaproxyRuntimeApi runtime, string slot, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var server = (await runtime.ServersAsync(HaTopology.ApiBackend, cancellationToken)).FirstOrDefault(s => s.Name == slot);
            if (server is null || server.CurrentSessions == 0)
                return;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // each look is a `docker exec`
        }

        console.WriteLine($"HAProxy server {slot} still has sessions after {timeout.TotalSeconds:0} s; the service's own drain finishes them.");
    }

    private async Task<IReadOnlyList<string>> AddressesAsync(string container)
    {
        var result = await docker.RunAsync(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", container],
            new ProcessOptions { Echo = false });
        return result.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static string Seconds(TimeSpan time) => $"{time.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";
}
