using System.Globalization;
using Rates.Build.Environments;
using Spectre.Console.Rendering;

namespace Rates.Build.HighAvailability;

/// <summary>Status of an ha environment: each database node's role, timeline and lag; each API replica; etcd.</summary>
internal sealed class HaStatus(IAnsiConsole console, DockerCli docker, HaEnvironment environment, CancellationToken cancellationToken)
{
    public async Task WriteAsync(string name, HaState state)
    {
        var containers = await environment.RunningContainersAsync(name);
        using var patroni = HaEnvironment.Patroni(state, secrets: null);
        var nodes = Table("Node", "Role", "State", "Timeline", "Lag", "Container");
        try
        {
            var cluster = await patroni.ReadClusterAsync(cancellationToken);
            foreach (var member in cluster.Members.OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                nodes.AddRow(Cells(member.Name, member.RoleName, member.State,
                    member.Timeline?.ToString(CultureInfo.InvariantCulture) ?? "?",
                    member.Role == PatroniRole.Leader ? "-" : member.Lag is { } lag ? Bytes(lag) : "unknown",
                    HealthOf(containers, member.Name)));
            }

            foreach (var missing in HaTopology.PatroniServices.Where(s => cluster.Members.All(m => m.Name != s)))
                nodes.AddRow(Cells(missing, "not a member", "-", "-", "-", HealthOf(containers, missing)));
        }
        catch (PatroniException ex)
        {
            nodes.AddRow(Cells("(cluster)", ex.Message, "", "", "", ""));
        }

        console.Write(new Rule($"[bold]{Markup.Escape(name)}[/]: database nodes (Patroni)").LeftJustified());
        console.Write(nodes);

        var api = Table("HAProxy server", "Address", "Status", "Sessions", "Container");
        var apiContainers = containers.Where(c => c.Service == HaTopology.ApiService).ToList();
        try
        {
            var runtime = await environment.RuntimeApiAsync(name);
            var servers = await runtime.ServersAsync(HaTopology.ApiBackend, cancellationToken);
            foreach (var server in servers.Where(s => s.HasAddress || s.IsUp))
            {
                var container = await ContainerAtAsync(apiContainers, server.Address);
                api.AddRow(Cells(server.Name, server.Address, server.Status, server.CurrentSessions.ToString(CultureInfo.InvariantCulture),
                    container is null ? "-" : $"{container.Name} ({container.Health})"));
            }
        }
        catch (Exception ex) when (ex is BuildFailedException or HaproxyRuntimeException or ProcessFailedException)
        {
            api.AddRow(Cells("(HAProxy)", ex.Message, "", "", ""));
        }

        console.Write(new Rule($"API replicas ({apiContainers.Count} running), through 127.0.0.1:{state.Ports.Api}").LeftJustified());
        console.Write(api);

        console.Write(new Rule("etcd").LeftJustified());
        console.Write(await EtcdAsync(containers));
    }

    /// <summary>The cells of Status's table: containers per service with their health, and the published ports.</summary>
    public static async Task<(string Services, string Health, string Ports)> CellsAsync(
        IReadOnlyList<ComposeContainer> containers, int? apiPort, CancellationToken cancellationToken)
    {
        var groups = containers.GroupBy(c => c.Service.TrimEnd('1', '2', '3')).OrderBy(g => Array.IndexOf(s_order, g.Key)).ToList();
        var services = string.Join(", ", groups.Select(g => g.Count() == 1 ? g.First().Service : $"{g.Key} x{g.Count()}"));
        var health = groups.Select(g => $"{g.Key}: {g.Count(c => c.Health == "healthy")}/{g.Count()} healthy").ToList();
        if (apiPort is { } port)
            health.Add($"API endpoint: {(await ServiceProbe.ReadyAsync(port, cancellationToken)).Detail}");
        var haproxy = containers.FirstOrDefault(c => c.Service == HaTopology.HaproxyService);
        var ports = HaPorts.Of(containers) is { } p
            ? $"api {p.Api}, write {p.Write}, read {p.Read}, stats {p.Stats}, patroni {string.Join("/", p.Patroni)}"
            : haproxy is null ? "(HAProxy is not running)" : "?";
        return (services, string.Join("; ", health), ports);
    }

    private static readonly string[] s_order = ["etcd", "patroni", HaTopology.HaproxyService, HaTopology.ApiService];

    private async Task<IRenderable> EtcdAsync(IReadOnlyList<ComposeContainer> containers)
    {
        var table = Table("Member", "Container", "Endpoint health");
        var member = containers.FirstOrDefault(c => HaTopology.EtcdServices.Contains(c.Service));
        var health = new Dictionary<string, string>();
        if (member is not null)
        {
            var endpoints = string.Join(',', HaTopology.EtcdServices.Select(s => $"http://{s}:2379"));
            var result = await docker.RunAsync(["exec", member.Id, "/usr/local/bin/etcdctl", $"--endpoints={endpoints}", "--command-timeout=3s",
                "endpoint", "health"], new ProcessOptions { Echo = false, CheckExitCode = false });
            // "http://etcd1:2379 is healthy: successfully committed proposal: took = 2.1ms"
            foreach (var line in result.Output)
            {
                var service = HaTopology.EtcdServices.FirstOrDefault(s => line.StartsWith($"http://{s}:2379", StringComparison.Ordinal));
                if (service is not null)
                    health[service] = line[$"http://{service}:2379".Length..].Trim(' ', ':');
            }
        }

        foreach (var service in HaTopology.EtcdServices)
            table.AddRow(Cells(service, HealthOf(containers, service), health.GetValueOrDefault(service, member is null ? "no member running" : "no answer")));
        return table;
    }

    private async Task<ComposeContainer?> ContainerAtAsync(IReadOnlyList<ComposeContainer> containers, string address)
    {
        foreach (var container in containers)
        {
            var result = await docker.RunAsync(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", container.Id],
                new ProcessOptions { Echo = false, CheckExitCode = false });
            if (result.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(ip => address == $"{ip.Trim()}:{HaTopology.ApiFrontPort}"))
                return container;
        }

        return null;
    }

    private static string HealthOf(IReadOnlyList<ComposeContainer> containers, string service) =>
        containers.FirstOrDefault(c => c.Service == service) is { } container ? $"{container.Name} ({container.Health})" : "not running";

    public static string Bytes(long bytes) =>
        bytes < 1024 * 1024 ? $"{bytes.ToString("N0", CultureInfo.InvariantCulture)} B" : $"{(bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture)} MiB";

    private static Table Table(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Square);
        foreach (var header in headers)
            table.AddColumn(new TableColumn(new Text(header)));
        return table;
    }

    private static IRenderable[] Cells(params string[] values) => values.Select(v => (IRenderable)new Text(v)).ToArray();
}
