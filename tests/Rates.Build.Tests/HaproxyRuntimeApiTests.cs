using Rates.Build.Environments;
using Rates.Build.Framework;
using Rates.Build.HighAvailability;
using Rates.Processes;

namespace Rates.Build.Tests;

/// <summary>A fact that needs a Docker engine; skipped (and says so) where `docker info` does not answer.</summary>
public sealed class DockerFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> s_engine = new(() =>
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return CommandRunner.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], cancellationToken: timeout.Token)
                .GetAwaiter().GetResult().Succeeded;
        }
        catch (Exception ex) when (ex is CommandStartException or OperationCanceledException)
        {
            return false;
        }
    });

    public DockerFactAttribute()
    {
        if (!s_engine.Value)
            Skip = "needs a Docker engine (`docker info` did not answer)";
    }
}

/// <summary>The runtime API client against a real HAProxy (the image the ha topology runs).</summary>
public sealed class HaproxyRuntimeApiTests : IAsyncLifetime
{
    private const string Image = "haproxy:2.6.12";

    // Server "up" checks HAProxy's own stats listener, "down" a port where nothing listens.
    private const string Config = """
        global
            stats socket ipv4@127.0.0.1:9999 level admin
            stats socket ipv4@0.0.0.0:9998 level admin
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
            default-server inter 500ms fall 1 rise 1
        listen stats
            bind :8404
            stats enable
            stats uri /
        listen api
            bind :3000
            option httpchk
            http-check send meth GET uri /
            server up 127.0.0.1:8404 check
            server down 127.0.0.1:1 check
        """;

    private readonly ProcessRunner _processes = new(TextWriter.Null, Path.GetTempPath());
    private readonly string _configFile = Path.Combine(Path.GetTempPath(), $"haproxy-test-{Guid.NewGuid():N}.cfg");
    private string? _container;
    private int _port;

    public async Task InitializeAsync()
    {
        if (new DockerFactAttribute().Skip is not null)
            return;
        await File.WriteAllTextAsync(_configFile, Config + "\n"); // HAProxy refuses a last line without LF
        if (!OperatingSystem.IsWindows()) // HAProxy reads it as its own account
            File.SetUnixFileMode(_configFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var run = await _processes.RunAsync("docker", ["run", "-d", "--rm", "-p", "127.0.0.1::9998",
            "-v", $"{_configFile}:/usr/local/etc/haproxy/haproxy.cfg:ro", Image], new ProcessOptions { Echo = false });
        _container = run.StandardOutput.Trim();
        _port = await PublishedPortAsync(9998);
        // Until HAProxy answers its runtime API (docker's proxy accepts connections before that).
        var api = HaproxyRuntimeApi.OverTcp("127.0.0.1", _port);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await api.ServersAsync("api", CancellationToken.None);
                return;
            }
            catch (Exception ex) when (ex is HaproxyRuntimeException or IOException or System.Net.Sockets.SocketException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
            await _processes.RunAsync("docker", ["rm", "-f", _container], new ProcessOptions { Echo = false, CheckExitCode = false });
        File.Delete(_configFile);
    }

    [DockerFact]
    public async Task Servers_show_their_health_and_drain_and_ready_change_their_state_over_tcp()
    {
        await DrainAndReadyAsync(HaproxyRuntimeApi.OverTcp("127.0.0.1", _port));
    }

    [DockerFact]
    public async Task The_same_commands_work_through_docker_exec_on_a_socket_bound_inside_the_container()
    {
        var docker = new DockerCli(_processes, CancellationToken.None);
        await DrainAndReadyAsync(HaproxyRuntimeApi.OverDockerExec(docker, _container!, 9999));
    }

    [DockerFact]
    public async Task An_unknown_server_is_refused_with_haproxys_reason()
    {
        var api = HaproxyRuntimeApi.OverTcp("127.0.0.1", _port);

        var error = await Assert.ThrowsAsync<HaproxyRuntimeException>(() =>
            api.SetStateAsync("api", "nosuch", HaproxyServerState.Drain, CancellationToken.None));

        Assert.StartsWith("HAProxy refused `set server api/nosuch state drain`: ", error.Message);
    }

    private static async Task DrainAndReadyAsync(HaproxyRuntimeApi api)
    {
        var servers = await WaitForAsync(api, s => s.Single(x => x.Name == "up").IsUp && s.Single(x => x.Name == "down").Status.StartsWith("DOWN"));
        Assert.Equal(["up", "down"], servers.Select(s => s.Name));
        Assert.Equal("127.0.0.1:8404", servers[0].Address);

        await api.SetStateAsync("api", "up", HaproxyServerState.Drain, CancellationToken.None);
        Assert.True((await api.ServersAsync("api", CancellationToken.None)).Single(s => s.Name == "up").IsDraining);

        await api.SetStateAsync("api", "up", HaproxyServerState.Ready, CancellationToken.None);
        await WaitForAsync(api, s => s.Single(x => x.Name == "up").IsUp);
    }

    private static async Task<IReadOnlyList<HaproxyServer>> WaitForAsync(HaproxyRuntimeApi api, Func<IReadOnlyList<HaproxyServer>, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                var servers = await api.ServersAsync("api", CancellationToken.None);
                if (condition(servers))
                    return servers;
                if (DateTime.UtcNow > deadline)
                    Assert.Fail($"HAProxy's servers did not reach the expected state: {string.Join(", ", servers.Select(s => $"{s.Name} {s.Status}"))}");
            }
            catch (Exception ex) when (ex is HaproxyRuntimeException or IOException or System.Net.Sockets.SocketException && DateTime.UtcNow < deadline)
            {
                // A check of HAProxy's has not run yet.
            }

            await Task.Delay(200);
        }
    }

    private async Task<int> PublishedPortAsync(int containerPort)
    {
        var result = await _processes.RunAsync("docker", ["port", _container!, $"{containerPort}/tcp"], new ProcessOptions { Echo = false });
        return int.Parse(result.StandardOutput.Trim().Split('\n')[0].Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
