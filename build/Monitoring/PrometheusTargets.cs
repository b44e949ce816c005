using System.Text.Json;

namespace Rates.Build.Monitoring;

/// <summary>One scrape target as Prometheus' <c>/api/v1/targets</c> reports it.</summary>
internal sealed record ScrapeTarget(string Job, string Url, string Health, string LastError)
{
    public bool IsUp => Health == "up";
}

/// <summary>Reads Prometheus' scrape targets, to tell after Up whether every one of them is up.</summary>
internal static class PrometheusTargets
{
    private static readonly HttpClient s_client = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>
    /// Polls until every active target has been scraped and is up, or <paramref name="timeout"/> passed; returns
    /// the last answer (empty when Prometheus never answered).
    /// </summary>
    public static async Task<IReadOnlyList<ScrapeTarget>> WaitUntilUpAsync(string prometheusUrl, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyList<ScrapeTarget> targets = [];
        while (true)
        {
            targets = await ReadAsync(prometheusUrl, cancellationToken) ?? targets;
            if ((targets.Count > 0 && targets.All(t => t.IsUp)) || DateTime.UtcNow >= deadline)
                return targets;
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }
    }

    private static async Task<IReadOnlyList<ScrapeTarget>?> ReadAsync(string prometheusUrl, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await s_client.GetAsync($"{prometheusUrl}/api/v1/targets?state=active", cancellationToken);
            if (!response.IsSuccessStatusCode)
                return null;
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            return body.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
                .Select(t => new ScrapeTarget(
                    t.GetProperty("labels").GetProperty("job").GetString() ?? "",
                    t.GetProperty("scrapeUrl").GetString() ?? "",
                    t.GetProperty("health").GetString() ?? "",
                    t.GetProperty("lastError").GetString() ?? ""))
                .ToList();
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or KeyNotFoundException
                                       || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}
