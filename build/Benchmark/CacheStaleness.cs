using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Rates.Build.Benchmark;

/// <summary>How long answers showed the state before a commit made outside the service, in milliseconds.</summary>
/// <param name="NotSeen">Rounds whose change no answer showed within <see cref="CacheStaleness.GiveUpAfter"/>.</param>
internal sealed record StalenessResult(string Instance, int Rounds, double P50Ms, double P99Ms, double MaxMs, int NotSeen);

/// <summary>
/// The staleness window of a /rates instance: a SQL session outside the service (as psql would) inserts a price of a
/// lane on a day the instance has just answered (and cached, when its cache is on), or deletes it again; the time runs
/// from the commit returning to the first answer whose count for that day shows the change, polling over one
/// kept-alive connection. The rows lie in the benchmark's reserved days, so the clean-up deletes them.
/// </summary>
internal static class CacheStaleness
{
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(5);

    private static readonly DateOnly s_day = BenchmarkPlan.LastReservedDay.AddDays(-15);

    public static async Task<StalenessResult> MeasureAsync(string instance, HttpClient client, Uri baseUrl, string connectionString, string origCode,
        string destCode, int rounds, CancellationToken cancellationToken)
    {
        var query = new CanonicalQuery(origCode, destCode, s_day.AddDays(-15), s_day.AddDays(15));
        var url = new Uri(baseUrl, query.PathAndQuery);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var times = new List<double>();
        var notSeen = 0;
        for (var round = 0; round < rounds; round++)
        {
            var before = await CountAsync(client, url, cancellationToken); // the answer the instance may now keep
            await WriteAsync(connection, origCode, destCode, insert: round % 2 == 0, cancellationToken);
            var committed = Stopwatch.GetTimestamp();
            var seen = false;
            while (Stopwatch.GetElapsedTime(committed) < GiveUpAfter)
            {
                if (await CountAsync(client, url, cancellationToken) != before)
                {
                    times.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
                    seen = true;
                    break;
                }
            }

            if (!seen)
                notSeen++;
        }

        var sorted = times.Order().ToArray();
        return sorted.Length == 0
            ? new StalenessResult(instance, rounds, double.NaN, double.NaN, double.NaN, notSeen)
            : new StalenessResult(instance, rounds, BenchmarkStatistics.Percentile(sorted, 50), BenchmarkStatistics.Percentile(sorted, 99), sorted[^1], notSeen);
    }

    private static async Task WriteAsync(NpgsqlConnection connection, string origCode, string destCode, bool insert, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(insert
            ? "INSERT INTO public.prices (orig_code, dest_code, day, price) VALUES (@orig, @dest, @day, 1000)"
            : "DELETE FROM public.prices WHERE orig_code = @orig AND dest_code = @dest AND day = @day", connection);
        command.Parameters.Add(new NpgsqlParameter<string>("orig", NpgsqlDbType.Text) { TypedValue = origCode });
        command.Parameters.Add(new NpgsqlParameter<string>("dest", NpgsqlDbType.Text) { TypedValue = destCode });
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("day", NpgsqlDbType.Date) { TypedValue = s_day });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The count of prices the answer gives for the day written to (null: none).</summary>
    private static async Task<long?> CountAsync(HttpClient client, Uri url, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(url, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new BuildFailedException($"GET {url.PathAndQuery} answered {(int)response.StatusCode} while measuring staleness: {body}");
        using var document = JsonDocument.Parse(body);
        var day = s_day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        foreach (var rate in document.RootElement.GetProperty("rates").EnumerateArray())
        {
            if (rate.GetProperty("day").GetString() == day)
                return rate.GetProperty("count").ValueKind == JsonValueKind.Null ? null : rate.GetProperty("count").GetInt64();
        }

        throw new BuildFailedException($"GET {url.PathAndQuery} answered without the day {day}: {body}");
    }
}
