using Rates.Build.Environments;

namespace Rates.Build.HighAvailability;

/// <summary>
/// An ha environment that is up, as <see cref="EnvironmentLocator"/> found it: its ports (read from its running
/// containers), its state and the secrets it was made with. Failover, Deploy and Chaos work on this.
/// </summary>
internal sealed record RunningHa(RunningEnvironment Environment, HaEnvironment Runtime, HaState State, HaSecrets Secrets, EnvironmentSecrets EnvironmentSecrets)
{
    public string Name => Environment.Name;

    public string OwnerPassword => EnvironmentSecrets.OwnerPassword;

    /// <exception cref="BuildFailedException">The environment is not of the ha topology, or was not brought up by Up (no state, no secrets).</exception>
    public static RunningHa Of(RunningEnvironment environment, HaEnvironment runtime, string? givenPassword)
    {
        var up = $"./build.sh Up --topology ha --env {environment.Name}";
        if (environment.Shape.Topology != Topology.Ha)
        {
            throw new BuildFailedException(
                $"Environment '{environment.Name}' runs the {environment.Shape} topology; this needs an ha environment (start one with {up}).");
        }

        var state = environment.State?.Ha ?? throw new BuildFailedException(
            $"Environment '{environment.Name}' runs the ha topology but has no state in {environment.Store.StateFile} (it was not brought up by {up}).");
        var secrets = HaSecrets.Load(environment.Store) ?? throw new BuildFailedException(
            $"No secrets are stored for environment '{environment.Name}' ({HaSecrets.File(environment.Store)}); it was not brought up by {up}.");
        return new RunningHa(environment, runtime, state, secrets, environment.Secrets(givenPassword));
    }

    public PatroniClient Patroni() => HaEnvironment.Patroni(State, Secrets);

    public HaOperations Operations(IAnsiConsole console, DockerCli docker, CancellationToken cancellationToken) =>
        new(console, docker, Runtime, cancellationToken);

    public ComposeProject Project() => Runtime.Project(Name, State, EnvironmentSecrets, Secrets);
}
