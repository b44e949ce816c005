using System.Globalization;
using Npgsql;
using Rates.Build.Chaos;
using Rates.Build.Environments;
using Rates.Build.HighAvailability;

/// <summary>
/// Chaos: the fault run against a running ha environment (Up --topology ha). Load, faults, the database check and the
/// report live in build/Chaos/.
/// </summary>
partial class Build
{
    [Parameter("Chaos: seconds of load at least; the faults are spread over it, and the load goes on until the last one has healed.",
        Minimum = 30, Maximum = 3600)]
    [UsedBy(nameof(Chaos))]
    readonly int ChaosDuration = 180;

    [Parameter("Chaos: GET /rates per second, sent on schedule whatever the answers (open loop).", Minimum = 1, Maximum = 1000)]
    [UsedBy(nameof(Chaos))]
    readonly int ChaosReadRate = 100;

    [Parameter("Chaos: concurrent batch senders.", Minimum = 1, Maximum = 16)]
    [UsedBy(nameof(Chaos))]
    readonly int ChaosSenders = 2;

    [Parameter("Chaos: smallest batch, in items.", Minimum = 1, Maximum = 1_000_000)]
    [UsedBy(nameof(Chaos))]
    readonly int ChaosMinItems = 5_000;

    [Parameter("Chaos: largest batch, in items.", Minimum = 1, Maximum = 1_000_000)]
    [UsedBy(nameof(Chaos))]
    readonly int ChaosMaxItems = 50_000;

    [Parameter("Chaos: the faults, in order (kill-leader, switchover, partition-leader, kill-api-replica, rolling-deploy); default all.")]
    [UsedBy(nameof(Chaos))]
    readonly string[] ChaosFaultList = [];

    [Parameter("Chaos: the Markdown file whose generated section gets the figures.")]
    [UsedBy(nameof(Chaos))]
    readonly AbsolutePath ChaosOutput = RootDirectory / "docs" / "reliability.md";

    Target Chaos => _ => _
        .Description("Fault run against a running ha environment (--env): readers and batch senders while the leader is killed, switched " +
                     "over and partitioned, an API replica killed and the replicas redeployed; checks every acknowledged batch in the " +
                     "database by lineage and writes docs/reliability.md. Fails on a lost, duplicated or partial batch, or any 500.")
        .Executes(RunChaosAsync);

    async Task RunChaosAsync()
    {
        var target = await FindHaAsync();
        var state = target.State;
        var faults = ChaosFaultList.Length == 0 ? ChaosFaults.Names : ChaosFaultList;
        if (faults.FirstOrDefault(f => !ChaosFaults.Names.Contains(f)) is { } unknown)
            throw new BuildFailedException($"--chaos-fault-list: '{unknown}' is not a fault; the faults are {string.Join(", ", ChaosFaults.Names)}.");
        var started = DateTimeOffset.UtcNow;
        var load = new ChaosLoadSettings(ChaosReadRate, ChaosSenders, Math.Min(ChaosMinItems, ChaosMaxItems), ChaosMaxItems, TimeSpan.FromSeconds(120),
            "chaos-" + started.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture));
        var connectionString = ChaosConnectionString(state.Ports.Write, target.OwnerPassword);
        var journal = new ChaosJournal();
        using var generator = new ChaosLoad(new Uri(ServiceProbe.BaseUrl(state.Ports.Api)), load, await ChaosLanesAsync(connectionString), journal,
            target.EnvironmentSecrets.ApiKey);
        using var patroni = target.Patroni();
        var clusterSettings = await patroni.ReadFailoverSettingsAsync(CancellationToken);
        var injector = new ChaosFaults(Output, Docker, target, patroni, journal, CancellationToken);
        Output.WriteLine($"Fault run {load.RunId} on '{target.Name}': {string.Join(", ", faults)} over at least {ChaosDuration} s");

        using var stop = new CancellationTokenSource();
        var running = generator.RunAsync(stop.Token);
        var records = await InjectFaultsAsync(injector, faults);
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(5, ChaosDuration - journal.Now.TotalSeconds)), CancellationToken);
        await stop.CancelAsync();
        await running; // senders finish (or give up on) the batch they started
        if (records.Any(r => !r.Healed))
            await injector.TryHealAsync(); // the data check needs a leader
        await ChaosReportAsync(new ChaosRunInfo(load.RunId, target.Name, started, journal.Now, load, clusterSettings), records, journal, connectionString);
    }

    /// <summary>The faults one after another, spread over --chaos-duration, each healed before the next.</summary>
    async Task<IReadOnlyList<FaultRecord>> InjectFaultsAsync(ChaosFaults injector, IReadOnlyList<string> faults)
    {
        var records = new List<FaultRecord>();
        var spacing = TimeSpan.FromSeconds(ChaosDuration / (faults.Count + 1.0));
        foreach (var fault in faults)
        {
            await Task.Delay(spacing, CancellationToken);
            records.Add(await injector.InjectAsync(fault));
            if (!records[^1].Healed)
                break; // the next fault would hit a cluster that is still broken: report what happened instead
        }

        return records;
    }

    async Task ChaosReportAsync(ChaosRunInfo run, IReadOnlyList<FaultRecord> records, ChaosJournal journal, string connectionString)
    {
        var verdict = await ChaosVerifier.VerifyAsync(connectionString, run.RunId, journal, CancellationToken);
        var figures = ChaosReport.Figures(records, journal, journal.Now);
        var section = ChaosReport.Render(run, figures, verdict, journal);
        ChaosReport.Write(ChaosOutput, section);
        Output.WriteLine(section);
        Output.WriteLine($"Figures written to {ChaosOutput}");
        var errors = ChaosReport.Count500(journal);
        if (records.FirstOrDefault(r => !r.Injected) is { } failed)
            throw new BuildFailedException($"The fault run failed: {failed.Name}: {failed.Detail}.");
        if (records.FirstOrDefault(r => !r.Healed) is { } unhealed)
            throw new BuildFailedException($"The fault run failed: the cluster did not heal after {unhealed.Name} ({unhealed.Detail}); the data check and the figures above cover the run until then.");
        if (!verdict.Holds || errors > 0)
            throw new BuildFailedException($"The fault run failed: lost {verdict.Lost.Count}, partial {verdict.Partial.Count}, duplicated {verdict.Duplicated.Count}, " +
                                           $"rows of unacknowledged batches {verdict.Orphaned.Count}, answers 500: {errors} " +
                                           $"(first ids: {string.Join(", ", verdict.Lost.Concat(verdict.Partial).Concat(verdict.Duplicated).Concat(verdict.Orphaned).Take(5))}).");
    }

    static string ChaosConnectionString(int writePort, string password) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = writePort, Database = LocalEnvironment.DatabaseName, Username = LocalEnvironment.DatabaseUser,
        Password = password, Timeout = 10, Pooling = false,
    }.ConnectionString;

    /// <summary>Lanes that have prices, so the readers ask for answers that exist.</summary>
    async Task<IReadOnlyList<(string, string)>> ChaosLanesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken);
        await using var command = new NpgsqlCommand("SELECT DISTINCT orig_code, dest_code FROM public.prices WHERE day BETWEEN '2024-01-01' AND '2024-01-31' LIMIT 50", connection);
        await using var reader = await command.ExecuteReaderAsync(CancellationToken);
        var lanes = new List<(string, string)>();
        while (await reader.ReadAsync(CancellationToken))
            lanes.Add((reader.GetString(0), reader.GetString(1)));
        return lanes.Count > 0 ? lanes : throw new BuildFailedException("The environment's database has no prices in January 2024: load the seed (DbSeed).");
    }
}
