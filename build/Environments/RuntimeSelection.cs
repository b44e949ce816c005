using Rates.Build.HighAvailability;

namespace Rates.Build.Environments;

/// <summary>Everything Up needs, decided before the image or the published build is made (so those run only when needed).</summary>
/// <param name="Ha">ha topology: every published port (API and write endpoint as above) and the number of API replicas.</param>
internal sealed record UpPlan(
    EnvironmentStore Store,
    EnvironmentRuntime Runtime,
    string RuntimeReason,
    PortChoice Api,
    PortChoice Db,
    EnvironmentSecrets Secrets,
    string PasswordOrigin,
    EnvironmentShape Shape,
    HaPlan? Ha = null)
{
    /// <summary>The database owner's password (migrations, seed, reports).</summary>
    public string Password => Secrets.OwnerPassword;

    public string Name => Store.Name;
    public int ApiPort => Api.Port;
    public int DbPort => Db.Port;

    /// <summary>What every runtime keeps of this plan; each adds its own (compose project and images, or pids).</summary>
    public EnvironmentState State() => new()
    {
        Name = Name,
        Runtime = Runtime,
        ApiPort = ApiPort,
        DbPort = DbPort,
        Topology = Shape.Topology,
        AddOns = Shape.AddOns,
    };
}

/// <summary>Which runtime an environment uses. Pure, so the rules are testable without Docker.</summary>
internal static class RuntimeSelection
{
    /// <summary>
    /// The runtime of Up. An environment that is already up keeps its runtime (a second Up changes nothing);
    /// <c>auto</c> otherwise means docker when an engine answered, else local.
    /// </summary>
    /// <param name="upOnDocker">Containers of the environment's compose project run.</param>
    /// <param name="upLocally">The environment's PostgreSQL or service process runs.</param>
    /// <exception cref="BuildFailedException">The requested runtime conflicts with the running one, or docker has no engine.</exception>
    public static (EnvironmentRuntime Runtime, string Reason) ForUp(
        string environment, EnvironmentRuntime requested, bool upOnDocker, bool upLocally, DockerEngine engine)
    {
        switch (requested)
        {
            case EnvironmentRuntime.Docker when upLocally:
            case EnvironmentRuntime.Local when upOnDocker:
                var running = upLocally ? "local" : "docker";
                throw new BuildFailedException(
                    $"Environment '{environment}' is already up with the {running} runtime; bring it down first " +
                    $"({DownCommand(environment)}) or use another --env.");
            case EnvironmentRuntime.Docker:
                return engine.Reachable
                    ? (EnvironmentRuntime.Docker, "--runtime docker")
                    : throw new BuildFailedException(engine.NotReachableMessage);
            case EnvironmentRuntime.Local:
                return (EnvironmentRuntime.Local, "--runtime local");
        }

        if (upOnDocker)
            return (EnvironmentRuntime.Docker, "auto: the environment is already up on docker");
        if (upLocally)
            return (EnvironmentRuntime.Local, "auto: the environment is already up with the local runtime");
        return engine.Reachable
            ? (EnvironmentRuntime.Docker, $"auto: `docker info` answered, {engine.Detail}")
            : (EnvironmentRuntime.Local, $"auto: no Docker engine answered `docker info`: {engine.Detail}");
    }

    /// <summary>The runtime of DbSeed: the requested one, else the one the environment is up with.</summary>
    /// <exception cref="BuildFailedException">The environment is not up (with the requested runtime).</exception>
    public static EnvironmentRuntime ForRunning(string environment, EnvironmentRuntime requested, bool upOnDocker, bool upLocally)
    {
        var runtime = requested switch
        {
            EnvironmentRuntime.Docker when upOnDocker => EnvironmentRuntime.Docker,
            EnvironmentRuntime.Local when upLocally => EnvironmentRuntime.Local,
            EnvironmentRuntime.Auto when upOnDocker => EnvironmentRuntime.Docker,
            EnvironmentRuntime.Auto when upLocally => EnvironmentRuntime.Local,
            _ => (EnvironmentRuntime?)null,
        };
        if (runtime is not null)
            return runtime.Value;
        var with = requested == EnvironmentRuntime.Auto ? "" : $" with the {requested.ToString().ToLowerInvariant()} runtime";
        throw new BuildFailedException($"Environment '{environment}' is not up{with}; run {UpCommand(environment)}");
    }

    public static string UpCommand(string environment) =>
        environment == EnvironmentNames.Default ? "./build.sh Up" : $"./build.sh Up --env {environment}";

    public static string DownCommand(string environment) =>
        environment == EnvironmentNames.Default ? "./build.sh Down" : $"./build.sh Down --env {environment}";
}
