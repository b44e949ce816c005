using Rates.Build.Environments;
using Rates.Build.HighAvailability;

/// <summary>Operations of the ha topology (deploy/ha/): planned switchover and rolling deploy of the API replicas.</summary>
partial class Build
{
    [Parameter("Deploy: number of API replicas behind HAProxy. Default: as many as run.",
        Minimum = 1, Maximum = HaTopology.MaxApiReplicas)]
    readonly int? ApiReplicas;

    HaEnvironment HaRuntime => new(Output, Docker, RootDirectory, CancellationToken);

    Target Failover => _ => _
        .Description("ha topology: planned switchover of the database leader to the synchronous standby through Patroni's REST API; " +
                     "waits until a write succeeds through the write endpoint and prints how long each step took.")
        .Executes(async () =>
        {
            var (store, state, secrets) = await RunningHaAsync();
            using var patroni = HaEnvironment.Patroni(state, secrets);
            var result = await new HaOperations(Output, Docker, HaRuntime, CancellationToken)
                .SwitchoverAsync(patroni, state.Ports.Write, store.PasswordOfRunning(DbPassword));
            Output.WriteLine($"Patroni: {result.PatroniAnswer}");
            var cluster = await HaRuntime.WaitForClusterAsync(patroni, c => c.SyncStandby is not null, TimeSpan.FromSeconds(60));
            WriteRows(
                ("Switched over", $"{result.From} -> {result.To}"),
                ("Patroni answered after", HaOperations.Seconds(result.Answered)),
                ("Writes succeed after", $"{HaOperations.Seconds(result.WritesBack)} ({result.FailedWrites} failed attempts before)"),
                ("Cluster now", HaEnvironment.Describe(cluster)));
        });

    Target Deploy => _ => _
        .Description("ha topology: replaces the API replicas one at a time with the current image (drained in HAProxy first, " +
                     "replaced, back in rotation once ready), so requests keep being answered.")
        .DependsOn(Image)
        .Executes(async () =>
        {
            var (store, state, secrets) = await RunningHaAsync();
            var next = state with
            {
                ApiImage = $"{ImageName}:{(await ImageSourceAsync()).Version}",
                ApiReplicas = ApiReplicas ?? state.ApiReplicas,
            };
            next.Save(store);
            var project = HaRuntime.Project(store, next, store.PasswordOfRunning(DbPassword), secrets);
            var replaced = await new HaOperations(Output, Docker, HaRuntime, CancellationToken)
                .DeployAsync(store.Name, project, next.ApiReplicas, TimeSpan.FromSeconds(30));
            WriteRows([.. replaced.Select(r => ($"{r.OldContainer}", $"-> {r.NewContainer} in {HaOperations.Seconds(r.Took)} (drained in {HaOperations.Seconds(r.Drained)})"))]);
            Output.WriteLine($"Environment '{store.Name}' runs {next.ApiReplicas} API replica(s) of {next.ApiImage}.");
        });

    [Parameter("Failover of an ha environment started by hand (docker compose -f deploy/ha/compose.yaml): the password of Patroni's " +
               "REST API (RATES_PATRONI_API_PASSWORD there). Up --topology ha keeps its own in .nuke/temp/<env>/ha-secrets.json.")]
    [Secret]
    readonly string? PatroniApiPassword;

    /// <summary>
    /// The ha environment --env, which must be up: its ports from its running containers (so one started by hand with
    /// docker compose works too), its secrets from the store or the command line.
    /// </summary>
    async Task<(EnvironmentStore Store, HaState State, HaSecrets Secrets)> RunningHaAsync()
    {
        var store = new EnvironmentStore(TemporaryDirectory, EnvironmentNames.Validate(Env));
        await Docker.EnsureEngineAsync();
        var running = await HaRuntime.RunningContainersAsync(store.Name);
        var ports = HaPorts.Of(running) ?? throw new BuildFailedException(
            $"Environment '{store.Name}' (compose project {EnvironmentNames.ProjectName(store.Name)}) is not an ha environment that is up: " +
            $"no HAProxy of deploy/ha/compose.yaml runs in it.");
        var state = HaState.Load(store) is { } saved
            ? saved with { Ports = ports }
            : new HaState(ports, Math.Max(1, running.Count(c => c.Service == HaTopology.ApiService)), "");
        // Started by hand: only what Failover and Deploy use is needed; compose insists on the others being set.
        var secrets = HaSecrets.Load(store) ?? new HaSecrets("unused", "unused", PatroniApiPassword ?? "unused");
        return (store, state, secrets);
    }
}
