using System.Globalization;
using Npgsql;
using Rates.Database;

namespace Rates.Build.Environments;

/// <summary>What <c>/health/ready</c> of a service answered.</summary>
internal sealed record ReadyAnswer(bool Ready, string Detail);

/// <summary>HTTP checks of a running service on 127.0.0.1.</summary>
internal static class ServiceProbe
{
    /// <summary>The README's example: a lane and range of db/seed/seed.sql with counts, null averages and empty days.</summary>
    public const string ExampleQuery = "/rates?date_from=2024-01-01&date_to=2024-01-10&orig_code=CNSGH&dest_code=NLRTM";

    private static readonly HttpClient s_client = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static string BaseUrl(int port) => $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

    public static async Task<ReadyAnswer> ReadyAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await s_client.GetAsync($"{BaseUrl(port)}/health/ready", cancellationToken);
            var code = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new ReadyAnswer(true, $"ready ({code})")
                : new ReadyAnswer(false, $"not ready ({code})");
        }
        catch (HttpRequestException ex)
        {
            return new ReadyAnswer(false, $"no answer ({ex.HttpRequestError})");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ReadyAnswer(false, "no answer (timeout)");
        }
    }

    /// <summary>Polls <c>/health/ready</c> until it answers 200; <paramref name="stillRunning"/> stops early when the process died.</summary>
    public static async Task<ReadyAnswer> WaitUntilReadyAsync(int port, TimeSpan timeout, Func<bool> stillRunning, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = new ReadyAnswer(false, "not asked yet");
        while (DateTime.UtcNow < deadline)
        {
            last = await ReadyAsync(port, cancellationToken);
            if (last.Ready || !stillRunning())
                return last;
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        return last with { Detail = $"{last.Detail} after waiting {timeout.TotalSeconds:0} s" };
    }

    /// <summary>Runs the example query; returns the status code and the number of days in the answer, or why it failed.</summary>
    public static async Task<string> CheckExampleAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await s_client.GetAsync(BaseUrl(port) + ExampleQuery, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                return $"answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 200)]}";
            using var json = System.Text.Json.JsonDocument.Parse(body);
            // The days are the answer itself or its "rates" member.
            var root = json.RootElement;
            var days = root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty("rates", out var rates) ? rates : root;
            return days.ValueKind == System.Text.Json.JsonValueKind.Array
                ? $"checked: 200 with {days.GetArrayLength()} days"
                : "checked: 200";
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException
                                       or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return $"failed: {ex.Message}";
        }
    }
}

/// <summary>Row counts of the service's tables, shown after Up and DbSeed.</summary>
internal static class DatabaseCounts
{
    private static readonly string[] s_tables = ["regions", "ports", "prices", "batches"];

    public static async Task<IReadOnlyList<(string Table, long Rows)>> ReadAsync(string connectionString, CancellationToken cancellationToken)
    {
        var result = new List<(string, long)>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        foreach (var table in s_tables)
        {
            await using var exists = new NpgsqlCommand("SELECT to_regclass(@name) IS NOT NULL", connection);
            exists.Parameters.AddWithValue("name", "public." + table);
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true)
                continue;
            // The table name comes from the fixed list above.
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM public.{table}", connection);
            result.Add((table, (long)(await count.ExecuteScalarAsync(cancellationToken))!));
        }

        return result;
    }

    public static string Describe(IReadOnlyList<(string Table, long Rows)> counts) =>
        counts.Count == 0 ? "no tables" : string.Join(", ", counts.Select(c => $"{c.Rows.ToString("N0", CultureInfo.InvariantCulture)} {c.Table}"));

    /// <summary>The connection string of an environment's database as the service uses it.</summary>
    public static string ConnectionString(int port, string password) => new DatabaseOptions
    {
        Host = "127.0.0.1",
        Port = port,
        Name = LocalEnvironment.DatabaseName,
        Username = LocalEnvironment.DatabaseUser,
        Password = password,
        ApplicationName = "rates-build",
    }.BuildConnectionString(null);
}
