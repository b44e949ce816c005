using Rates.Build.Environments;
using Rates.Build.Framework;
using Rates.Build.HighAvailability;
using Spectre.Console;

namespace Rates.Build.Tests;

/// <summary>The ha topology as part of the environment model: refused where it cannot run, kept in the state, found by the locator.</summary>
public sealed class HaEnvironmentTests
{
    private static readonly HaState s_state = new(new HaPorts(3200, 5600, 5601, 8400, [8401, 8402, 8403]), 2, "rates-api:abc", "rates-patroni:123");

    [Fact]
    public async Task Up_of_the_ha_topology_on_the_local_runtime_stops_before_anything_is_built_or_stored()
    {
        var name = "ha-test-" + Guid.NewGuid().ToString("N")[..8];

        var run = await TestHost.RunAsync(new global::Build(), $"Up --topology ha --runtime local --env {name}");

        Assert.Equal(BuildRunner.ExitTargetFailed, run.ExitCode);
        Assert.Contains("The ha topology needs the docker runtime", run.Output);
        Assert.NotEqual("Executed", run.StatusOf("Image"));
        Assert.NotEqual("Executed", run.StatusOf("Publish"));
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), ".nuke", "temp", name)), "no password or state is stored");
    }

    [Fact]
    public void The_ha_part_of_the_state_round_trips()
    {
        var temp = AbsolutePath.Create(Path.Combine(Path.GetTempPath(), $"rates-env-{Guid.NewGuid():N}"));
        try
        {
            var store = new EnvironmentStore(temp, "ha-a");
            store.Save(new EnvironmentState { Name = "ha-a", Runtime = EnvironmentRuntime.Docker, ApiPort = 3200, DbPort = 5600, Topology = Topology.Ha, Ha = s_state });

            var state = store.Load()!;

            Assert.Equal(Topology.Ha, state.Topology);
            Assert.Equal((5601, 8400, 2, "rates-patroni:123"), (state.Ha!.Ports.Read, state.Ha.Ports.Stats, state.Ha.ApiReplicas, state.Ha.PatroniImage));
            Assert.Equal([8401, 8402, 8403], state.Ha.Ports.Patroni);
            Assert.Contains("\"topology\": \"ha\"", File.ReadAllText(store.StateFile));
        }
        finally
        {
            temp.DeleteDirectory();
        }
    }

    [Fact]
    public async Task Status_cells_count_each_service_and_name_every_endpoint()
    {
        ComposeContainer Container(string service, int index, string status, string ports) =>
            ComposeContainer.Parse(string.Join('\t', $"id-{service}-{index}", $"rates-ha-a_{service}_{index}", "rates-ha-a", service, "", "running", status, ports))!;
        var containers = new[]
        {
            Container("etcd1", 1, "Up 1 minute (healthy)", "2379/tcp"), Container("etcd2", 1, "Up 1 minute (healthy)", "2379/tcp"),
            Container("etcd3", 1, "Up 1 minute (unhealthy)", "2379/tcp"),
            Container("patroni1", 1, "Up 1 minute (healthy)", "127.0.0.1:8401->8008/tcp"), Container("patroni2", 1, "Up 1 minute (healthy)", "127.0.0.1:8402->8008/tcp"),
            Container("patroni3", 1, "Up 1 minute (healthy)", "127.0.0.1:8403->8008/tcp"),
            Container("haproxy", 1, "Up 1 minute (healthy)", "127.0.0.1:3200->3000/tcp, 127.0.0.1:5600->5000/tcp, 127.0.0.1:5601->5001/tcp, 127.0.0.1:8400->8404/tcp"),
            Container("api", 1, "Up 1 minute (healthy)", "3000/tcp"), Container("api", 2, "Up 5 seconds (health: starting)", "3000/tcp"),
        };

        var (services, health, ports) = await HaStatus.CellsAsync(containers, apiPort: null, CancellationToken.None);

        Assert.Equal("etcd x3, patroni x3, haproxy, api x2", services);
        Assert.Equal("etcd: 2/3 healthy; patroni: 3/3 healthy; haproxy: 1/1 healthy; api: 1/2 healthy", health);
        Assert.Equal("api 3200, write 5600, read 5601, stats 8400, patroni 8401/8402/8403", ports);
    }

    [DockerFact]
    public async Task The_locator_finds_an_ha_environment_by_its_HAProxy_and_reads_its_endpoints_from_it()
    {
        var name = "ha-test-" + Guid.NewGuid().ToString("N")[..8];
        var temp = AbsolutePath.Create(Path.Combine(Path.GetTempPath(), $"rates-env-{Guid.NewGuid():N}"));
        var processes = new ProcessRunner(TextWriter.Null, Path.GetTempPath());
        // A stand-in for the environment's HAProxy: the labels compose gives it, the ports it publishes, nothing listening.
        var run = await processes.RunAsync("docker", ["run", "-d", "--rm", "--label", $"com.docker.compose.project={EnvironmentNames.ProjectName(name)}",
            "--label", "com.docker.compose.service=haproxy", "--label", "com.docker.compose.oneoff=False",
            "-p", "127.0.0.1::3000", "-p", "127.0.0.1::5000", "-p", "127.0.0.1::5001", "-p", "127.0.0.1::8404",
            "--entrypoint", "sleep", "haproxy:2.6.12", "120"], new ProcessOptions { Echo = false });
        var container = run.StandardOutput.Trim();
        try
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
            var docker = new DockerCli(processes, CancellationToken.None);
            var locator = new EnvironmentLocator(console, temp, docker, new DockerEnvironment(console, docker, temp, CancellationToken.None),
                new LocalEnvironment(console, processes, CancellationToken.None));
            var published = await docker.ListContainersAsync(EnvironmentNames.ProjectName(name), all: false);
            var haproxy = Assert.Single(published);

            var found = await locator.FindRunningAsync(name, EnvironmentRuntime.Auto);

            Assert.Equal((Topology.Ha, EnvironmentRuntime.Docker), (found.Shape.Topology, found.Runtime.Kind));
            Assert.Equal(haproxy.HostPortFor(HaTopology.ApiFrontPort), found.ApiPort);
            Assert.Equal(haproxy.HostPortFor(HaTopology.WritePort), found.DbPort);
            // Started without Up: nothing to operate it with, and the message says how to start one.
            var error = Assert.Throws<BuildFailedException>(() => RunningHa.Of(found, null!, "pw"));
            Assert.Contains($"./build.sh Up --topology ha --env {name}", error.Message);

            // With Up's state, the ports in the state are the ones the containers publish now.
            locator.Store(name).Save(new EnvironmentState { Name = name, Runtime = EnvironmentRuntime.Docker, ApiPort = 1, DbPort = 2, Topology = Topology.Ha, Ha = s_state });
            var withState = await locator.FindRunningAsync(name, EnvironmentRuntime.Docker);
            Assert.Equal(haproxy.HostPortFor(HaTopology.ReadPort), withState.State!.Ha!.Ports.Read);
            Assert.Equal(haproxy.HostPortFor(HaTopology.StatsPort), withState.State.Ha.Ports.Stats);
        }
        finally
        {
            await processes.RunAsync("docker", ["rm", "-f", container], new ProcessOptions { Echo = false, CheckExitCode = false });
            temp.DeleteDirectory();
        }
    }
}
