using Rates.Build.Benchmark;
using Rates.Build.Environments;
using Rates.Processes;

/// <summary>Benchmark: the environment under test, found through <see cref="EnvironmentLocator"/>, and where psql runs.</summary>
partial class Build
{
    static AbsolutePath ComposeFile => RootDirectory / "compose.yaml";

    /// <summary>The environment under test, with everything the benchmark needs to reach it.</summary>
    sealed record BenchmarkEnvironment(
        EnvironmentStore Store,
        EnvironmentRuntime Runtime,
        int ApiPort,
        int DbPort,
        string Password,
        string Detail,
        string ServiceDotNet,
        IReadOnlyList<string> Notes)
    {
        public string Name => Store.Name;
    }

    /// <exception cref="BuildFailedException">The environment, its database or its service is not up.</exception>
    async Task<BenchmarkEnvironment> FindBenchmarkEnvironmentAsync()
    {
        var running = await Environments.FindRunningAsync(Env, Runtime);
        var dbPort = running.RequireDbPort();
        await EnvironmentLocator.RequireReadyServiceAsync(running, CancellationToken);
        var password = running.Password(DbPassword);
        var (detail, dotnet, notes) = await running.Runtime.DescribeAsync(running, password);
        return new BenchmarkEnvironment(running.Store, running.Runtime.Kind, running.ApiPort!.Value, dbPort, password, detail, dotnet, notes);
    }

    /// <exception cref="BuildFailedException">No psql can be run where --benchmark-psql asks.</exception>
    PsqlCommand ChoosePsql(BenchmarkEnvironment environment)
    {
        var onPath = ExecutableSearch.FindOnPath("psql");
        var docker = environment.Runtime == EnvironmentRuntime.Docker;
        const string install = "install the PostgreSQL client (e.g. apt-get install postgresql-client)";
        var location = BenchmarkPsql switch
        {
            PsqlLocation.Host when onPath is null =>
                throw new BuildFailedException($"psql is not on PATH; {install}{(docker ? ", or use --benchmark-psql container" : "")}."),
            PsqlLocation.Container when !docker =>
                throw new BuildFailedException($"--benchmark-psql container needs the docker runtime, but environment '{environment.Name}' runs with the local runtime; use psql on the host."),
            PsqlLocation.Auto when onPath is null && !docker =>
                throw new BuildFailedException($"psql is not on PATH and environment '{environment.Name}' runs with the local runtime, which has no container to run psql in; {install}."),
            PsqlLocation.Auto => onPath is not null ? PsqlLocation.Host : PsqlLocation.Container,
            var chosen => chosen,
        };
        return location == PsqlLocation.Host
            ? PsqlCommand.OnHost(onPath!, environment.DbPort, environment.Password)
            : PsqlCommand.InContainer(ComposeFile, EnvironmentNames.ProjectName(environment.Name), DockerEnvironment.DbService,
                DockerEnvironment.DbContainerPort, ComposeProject.Variables(EnvironmentSecrets.Unused with { OwnerPassword = environment.Password }, null, null, null, null), environment.Password);
    }

    /// <summary>
    /// The command as typed, for the report: <c>./build.sh</c> and the arguments, shell-quoted, with secret values masked.
    /// Parameters from environment variables or .nuke/parameters.json do not show here; the report lists the values used.
    /// </summary>
    internal static string BenchmarkCommandLine(IEnumerable<string> arguments, IEnumerable<string?> secrets)
    {
        var masks = secrets.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).OrderByDescending(s => s.Length).ToList();
        return string.Join(' ', arguments
            .Select(a => masks.Aggregate(a, (text, secret) => text.Replace(secret, "****", StringComparison.Ordinal)))
            .Select(CommandLine.Quote)
            .Prepend(BuildOutput.Command));
    }
}
