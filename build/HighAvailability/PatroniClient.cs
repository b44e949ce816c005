using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Rates.Build.HighAvailability;

/// <summary>A member's role as Patroni's <c>GET /cluster</c> names it.</summary>
internal enum PatroniRole
{
    Leader,
    SyncStandby,
    Replica,
    Other,
}

/// <summary>One member of the cluster: <c>GET /cluster</c>'s <c>members[]</c>.</summary>
/// <param name="Lag">Bytes of WAL behind the leader; null for the leader or when Patroni cannot tell.</param>
internal sealed record PatroniMember(string Name, PatroniRole Role, string RoleText, string State, string Host, int Port, int? Timeline, long? Lag)
{
    public bool IsRunning => State is "running" or "streaming";

    /// <summary>"leader", "sync standby", "replica" (or Patroni's own word for anything else).</summary>
    public string RoleName => Role switch
    {
        PatroniRole.Leader => "leader",
        PatroniRole.SyncStandby => "sync standby",
        PatroniRole.Replica => "replica",
        _ => RoleText,
    };
}

/// <summary>The cluster as one member sees it.</summary>
internal sealed record PatroniCluster(IReadOnlyList<PatroniMember> Members)
{
    public PatroniMember? Leader => Members.FirstOrDefault(m => m.Role == PatroniRole.Leader && m.IsRunning);

    public PatroniMember? SyncStandby => Members.FirstOrDefault(m => m.Role == PatroniRole.SyncStandby && m.IsRunning);

    /// <summary>Reads the body of <c>GET /cluster</c> (Patroni 2.0 and later).</summary>
    /// <exception cref="FormatException">Not a cluster document.</exception>
    public static PatroniCluster Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("members", out var members) || members.ValueKind != JsonValueKind.Array)
                throw new FormatException("Patroni's /cluster answer has no members list.");
            return new PatroniCluster(members.EnumerateArray().Select(ParseMember).ToList());
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Patroni's /cluster answer is not JSON: {ex.Message}", ex);
        }
    }

    private static PatroniMember ParseMember(JsonElement member)
    {
        var roleText = Text(member, "role") ?? "unknown";
        var role = roleText switch
        {
            "leader" or "master" or "primary" => PatroniRole.Leader,
            "sync_standby" => PatroniRole.SyncStandby,
            "replica" => PatroniRole.Replica,
            _ => PatroniRole.Other,
        };
        return new PatroniMember(Text(member, "name") ?? "?", role, roleText, Text(member, "state") ?? "unknown",
            Text(member, "host") ?? "", Number(member, "port") is { } port ? (int)port : 0,
            Number(member, "timeline") is { } timeline ? (int)timeline : null,
            Number(member, "lag"));
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // Patroni writes "lag": "unknown" when it cannot tell.
    private static long? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : null;
}

/// <summary>Thrown when no member's REST API answers, or Patroni refuses a request.</summary>
internal sealed class PatroniException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Patroni's REST API on each node (127.0.0.1:port as published by the ha topology). Reads go to the first node that
/// answers; a switchover is a POST with the REST API's basic-auth credentials.
/// </summary>
internal sealed class PatroniClient(IReadOnlyList<Uri> nodes, string? username, string? password) : IDisposable
{
    // Each request sets its own bound: 5 s for a read, 60 s for a switchover (which waits for demotion and promotion).
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public IReadOnlyList<Uri> Nodes { get; } = nodes;

    public static Uri Local(int port) => new($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>The cluster as the first node that answers sees it.</summary>
    /// <exception cref="PatroniException">No node answered.</exception>
    public async Task<PatroniCluster> ReadClusterAsync(CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var node in Nodes)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                using var response = await _http.GetAsync(new Uri(node, "cluster"), timeout.Token);
                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                    return PatroniCluster.Parse(body);
                failures.Add($"{node.Authority}: {(int)response.StatusCode}");
            }
            catch (Exception ex) when (ex is HttpRequestException or FormatException
                                       || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                failures.Add($"{node.Authority}: {(ex is OperationCanceledException ? "no answer within 5 s" : ex.Message)}");
            }
        }

        throw new PatroniException($"No Patroni REST API answered GET /cluster ({string.Join("; ", failures)}).");
    }

    /// <summary>The failover settings of the cluster-wide configuration (<c>GET /config</c>), for reports: "ttl 10 s, loop_wait 2 s, ...".</summary>
    /// <exception cref="PatroniException">No node answered.</exception>
    public async Task<string> ReadFailoverSettingsAsync(CancellationToken cancellationToken)
    {
        foreach (var node in Nodes)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                using var document = JsonDocument.Parse(await _http.GetStringAsync(new Uri(node, "config"), timeout.Token));
                string Value(string name, string unit) => document.RootElement.TryGetProperty(name, out var value) ? $"{name} {value}{unit}" : $"{name} (default)";
                return string.Join(", ", Value("ttl", " s"), Value("loop_wait", " s"), Value("retry_timeout", " s"),
                    Value("synchronous_mode", ""), Value("synchronous_mode_strict", ""));
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // the next node
            }
        }

        throw new PatroniException("No Patroni REST API answered GET /config.");
    }

    /// <summary>
    /// Asks Patroni for a planned switchover from <paramref name="leader"/> to <paramref name="candidate"/> (in
    /// synchronous mode: the synchronous standby, or null to let Patroni pick it). Returns Patroni's answer once it
    /// has demoted the leader and promoted the candidate.
    /// </summary>
    /// <exception cref="PatroniException">Patroni refused or failed the switchover.</exception>
    public async Task<string> SwitchoverAsync(string leader, string? candidate, CancellationToken cancellationToken)
    {
        var body = candidate is null
            ? JsonSerializer.Serialize(new { leader })
            : JsonSerializer.Serialize(new { leader, candidate });
        var failures = new List<string>();
        foreach (var node in Nodes)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node, "switchover"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            if (username is not null && password is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
            try
            {
                // A switchover waits for the demotion and the promotion: longer than a health read.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(60));
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                var answer = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
                // 503 "Switchover status unknown": Patroni stopped waiting for the new leader (a busy machine), the
                // switchover goes on; the caller waits for the writes, as after a success.
                if (response.IsSuccessStatusCode || answer.Contains("status unknown", StringComparison.OrdinalIgnoreCase))
                    return answer;
                // Patroni answered: its refusal is the same from every node.
                throw new PatroniException($"Patroni refused the switchover from {leader}{(candidate is null ? "" : $" to {candidate}")}: " +
                                           $"{(int)response.StatusCode} {answer}");
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                // The switchover may be under way: asking another node now could start a second one.
                throw new PatroniException($"{node.Authority} did not answer POST /switchover within 60 s; see Status for the cluster's roles.", ex);
            }
            catch (HttpRequestException ex)
            {
                failures.Add($"{node.Authority}: {ex.Message}");
            }
        }

        throw new PatroniException($"No Patroni REST API answered POST /switchover ({string.Join("; ", failures)}).");
    }

    public void Dispose() => _http.Dispose();
}
