using System.Net;
using Rates.Build.Framework;
using Rates.Testing;

namespace Rates.Build.Tests;

/// <summary>
/// The ha topology's API endpoint (deploy/ha/haproxy/haproxy.cfg) on a real HAProxy, in front of a stand-in API
/// replica (HAProxy answering fixed responses) that is alive but not ready, as every replica is while the database
/// fails over.
/// </summary>
public sealed class HaproxyApiEndpointTests : IAsyncLifetime
{
    private const string Image = "haproxy:2.6.12";

    // Alive (/health/live 200) but not ready (/health/ready 503); anything else answers 200 with a marker.
    private const string ReplicaConfig = """
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend replica
            bind :3000
            http-request return status 200 content-type text/plain string "live" if { path /health/live }
            http-request return status 503 content-type text/plain string "database unreachable" if { path /health/ready }
            http-request return status 200 content-type text/plain string "answered by a live replica"
        """;

    private readonly ProcessRunner _processes = new(TextWriter.Null, Path.GetTempPath());
    private readonly string _network = $"rates-haproxy-test-{Guid.NewGuid():N}";
    private readonly string _replicaConfig = Path.Combine(Path.GetTempPath(), $"replica-{Guid.NewGuid():N}.cfg");
    private readonly List<string> _containers = [];
    private bool _networkCreated;
    private string? _replica;
    private HttpClient _client = new();

    public async Task InitializeAsync()
    {
        if (new DockerFactAttribute().Skip is not null)
            return;
        await File.WriteAllTextAsync(_replicaConfig, ReplicaConfig + "\n");
        if (!OperatingSystem.IsWindows()) // HAProxy reads it as its own account
            File.SetUnixFileMode(_replicaConfig, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await DockerAsync("network", "create", _network);
        _networkCreated = true;
        _replica = await StartAsync("--network-alias", "api", "-v", $"{_replicaConfig}:/usr/local/etc/haproxy/haproxy.cfg:ro", Image);
        var haproxyDirectory = Path.Combine(RepositoryPaths.Root, "deploy", "ha", "haproxy");
        var balancer = await StartAsync("-p", "127.0.0.1::3000",
            "-v", $"{Path.Combine(haproxyDirectory, "haproxy.cfg")}:/usr/local/etc/haproxy/haproxy.cfg:ro",
            "-v", $"{Path.Combine(haproxyDirectory, "errors")}:/usr/local/etc/haproxy/errors:ro", Image);
        var port = (await DockerAsync("port", balancer, "3000/tcp")).Split('\n')[0].Trim().Split(':')[^1];
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public async Task DisposeAsync()
    {
        foreach (var container in _containers)
            await _processes.RunAsync("docker", ["rm", "-f", container], new ProcessOptions { Echo = false, CheckExitCode = false });
        if (_networkCreated)
            await _processes.RunAsync("docker", ["network", "rm", _network], new ProcessOptions { Echo = false, CheckExitCode = false });
        File.Delete(_replicaConfig);
        _client.Dispose();
    }

    [DockerFact]
    public async Task When_no_replica_is_ready_requests_reach_a_live_replica_and_when_none_answers_HAProxy_says_503_with_Retry_After()
    {
        var answer = await WaitForAsync(r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal("answered by a live replica", await answer.Content.ReadAsStringAsync());

        await DockerAsync("stop", "--time", "1", _replica!);

        var unavailable = await WaitForAsync(r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
        Assert.Equal("application/problem+json", unavailable.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(5), unavailable.Headers.RetryAfter?.Delta);
        Assert.Contains("\"status\":503", await unavailable.Content.ReadAsStringAsync());
    }

    private async Task<HttpResponseMessage> WaitForAsync(Func<HttpResponseMessage, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            HttpResponseMessage? response = null;
            try
            {
                response = await _client.GetAsync("/rates?date_from=2024-01-01&date_to=2024-01-10&orig_code=CNSGH&dest_code=NLRTM");
                if (condition(response))
                    return response;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, $"HAProxy's answer stayed {(int?)response?.StatusCode}: {(response is null ? "" : await response.Content.ReadAsStringAsync())}");
            await Task.Delay(250);
        }
    }

    private async Task<string> StartAsync(params string[] arguments)
    {
        var id = (await DockerAsync(["run", "-d", "--network", _network, .. arguments])).Trim();
        _containers.Add(id);
        return id;
    }

    private async Task<string> DockerAsync(params string[] arguments) =>
        (await _processes.RunAsync("docker", arguments, new ProcessOptions { Echo = false })).StandardOutput;
}
