using Rates.Build.Environments;
using Rates.Build.HighAvailability;
using Rates.EmbeddedPostgres;

/// <summary>
/// The ha topology (deploy/ha/, build/HighAvailability/): its ports for Up --topology ha, what Up prints of it, and the
/// operations Failover and Deploy on an ha environment found through <see cref="EnvironmentLocator"/>.
/// </summary>
partial class Build
{
    [Parameter("Up --topology ha and Deploy: number of API replicas behind HAProxy. Default: as many as the last Up, else 2.",
        Minimum = 1, Maximum = HaTopology.MaxApiReplicas)]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up), nameof(Deploy))]
    readonly int? ApiReplicas;

    [Parameter("Up --topology ha: port of the read endpoint (HAProxy to the replicas) on 127.0.0.1. Default: the last Up's, else a free port.",
        Minimum = 1, Maximum = 65535)]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up))]
    readonly int? DbReadPort;

    [Parameter("Up --topology ha: port of HAProxy's stats page on 127.0.0.1; the three Patroni REST APIs get the next three ports. " +
               "Default: the last Up's, else free ports.", Minimum = 1, Maximum = 65532)]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up))]
    readonly int? AdminPort;

    Target Failover => _ => _
        .Description("ha topology: planned switchover of the database leader to the synchronous standby through Patroni's REST API; " +
                     "waits until a write succeeds through the write endpoint and prints how long each step took.")
        .Executes(async () =>
        {
            var ha = await FindHaAsync();
            using var patroni = ha.Patroni();
            var result = await ha.Operations(Output, Docker, CancellationToken).SwitchoverAsync(patroni, ha.State.Ports.Write, ha.OwnerPassword);
            Output.WriteLine($"Patroni: {result.PatroniAnswer}");
            var cluster = await ha.Runtime.WaitForClusterAsync(patroni, c => c.SyncStandby is not null, TimeSpan.FromSeconds(60));
            WriteRows(
                ("Switched over", $"{result.From} -> {result.To}"),
                ("Patroni answered after", HaOperations.Seconds(result.Answered)),
                ("Writes succeed after", $"{HaOperations.Seconds(result.WritesBack)} ({result.FailedWrites} failed attempts before)"),
                ("Cluster now", HaEnvironment.Describe(cluster)));
        });

    Target Deploy => _ => _
        .Description("ha topology: replaces the API replicas one at a time with the current image (the new one in rotation first, " +
                     "then the old one drained in HAProxy and stopped), so requests keep being answered.")
        .DependsOn(Image)
        .Executes(async () =>
        {
            var ha = await FindHaAsync();
            var next = ha.State with { ApiImage = $"{ImageName}:{(await ImageSourceAsync()).Version}", ApiReplicas = ApiReplicas ?? ha.State.ApiReplicas };
            ha.Environment.Store.Save(ha.Environment.State! with { ApiImage = next.ApiImage, Ha = next });
            var project = ha.Runtime.Project(ha.Name, next, ha.EnvironmentSecrets, ha.Secrets);
            var replaced = await ha.Operations(Output, Docker, CancellationToken).DeployAsync(ha.Name, project, next.ApiReplicas, TimeSpan.FromSeconds(30));
            WriteRows([.. replaced.Select(r => ($"{r.OldContainer}", $"-> {r.NewContainer} in {HaOperations.Seconds(r.Took)} (drained in {HaOperations.Seconds(r.Drained)})"))]);
            Output.WriteLine($"Environment '{ha.Name}' runs {next.ApiReplicas} API replica(s) of {next.ApiImage}.");
        });

    /// <summary>The ha environment --env, found through the locator; fails naming what to run when it is not one that is up.</summary>
    async Task<RunningHa> FindHaAsync() =>
        RunningHa.Of(await Environments.FindRunningAsync(Env, EnvironmentRuntime.Docker), DockerRuntime.Ha, DbPassword);

    /// <summary>Part of Up's plan for --topology ha: the read, stats and Patroni ports, and the number of API replicas.</summary>
    HaPlan PlanHa(EnvironmentState? state, Func<int, bool> isAvailable, int apiPort, int dbPort)
    {
        var isDefault = Env == EnvironmentNames.Default;
        var last = state?.Ha?.Ports;
        List<int> chosen = [apiPort, dbPort];
        int Choose(string service, int? requested, int? persisted, int preferred)
        {
            var port = PortAllocator.Choose(new PortRequest(service, requested, persisted, isDefault ? preferred : null), isAvailable,
                PostgresCluster.FindFreePort, chosen).Port;
            chosen.Add(port);
            return port;
        }

        var read = Choose("read endpoint", DbReadPort, last?.Read, 5433);
        var stats = Choose("HAProxy stats", AdminPort, last?.Stats, 8404);
        var patroni = Enumerable.Range(1, 3).Select(i => Choose($"Patroni REST API {i}", AdminPort + i, last?.Patroni.ElementAtOrDefault(i - 1), 8007 + i)).ToList();
        return new HaPlan(new HaPorts(apiPort, dbPort, read, stats, patroni), ApiReplicas ?? state?.Ha?.ApiReplicas ?? HaTopology.DefaultApiReplicas);
    }

    static IEnumerable<(string Key, string Value)> HaPlanRows(UpPlan plan) => plan.Ha is not { } ha ? [] :
    [
        ("DB read port", $"{ha.Ports.Read}"),
        ("Admin ports", $"HAProxy stats {ha.Ports.Stats}, Patroni {string.Join("/", ha.Ports.Patroni)}"),
        ("API replicas", $"{ha.ApiReplicas}"),
    ];

    /// <summary>Up's summary rows of an ha environment: its endpoints and the cluster's roles.</summary>
    async Task<IReadOnlyList<(string Key, string Value)>> HaSummaryRowsAsync(UpPlan plan)
    {
        if (plan.Ha is not { } ha)
            return [];
        using var patroni = new PatroniClient(ha.Ports.Patroni.Select(PatroniClient.Local).ToList(), null, null);
        var cluster = await patroni.ReadClusterAsync(CancellationToken);
        return
        [
            ("Write endpoint", $"127.0.0.1:{ha.Ports.Write} (HAProxy to the leader)"),
            ("Read endpoint", $"127.0.0.1:{ha.Ports.Read} (HAProxy to the replicas; may lag)"),
            ("HAProxy stats", $"http://127.0.0.1:{ha.Ports.Stats}/"),
            ("Patroni REST", string.Join(", ", ha.Ports.Patroni.Select(p => $"http://127.0.0.1:{p}/cluster"))),
            ("Cluster", HaEnvironment.Describe(cluster)),
            ("API replicas", $"{ha.ApiReplicas} behind {ServiceProbe.BaseUrl(ha.Ports.Api)}"),
        ];
    }
}
