using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Rates.Processes;

namespace Rates.Build.Benchmark;

/// <summary>A closed loop on one URL: the rate the service sustained with a fixed number of connections.</summary>
internal sealed record ClosedLoopResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors, string Tool);

/// <summary>An open loop: requests sent at a fixed arrival rate, whatever the answers do.</summary>
/// <param name="OfferedPerSecond">The arrival rate asked for.</param>
/// <param name="SustainedPerSecond">Successful answers per second over the phase.</param>
/// <param name="Shed">Requests not sent because <see cref="RatesLoad.MaxInFlight"/> were already waiting: the rate was not sustained.</param>
internal sealed record OpenLoopResult(double OfferedPerSecond, double SustainedPerSecond, int Answered, int Errors, int Shed,
    double P50Ms, double P99Ms, double MaxMs);

/// <summary>Load on GET /rates: closed loops (wrk when it is on PATH, else the benchmark's own readers) and open loops.</summary>
internal static partial class RatesLoad
{
    /// <summary>An open loop keeps at most this many requests waiting; more would only measure the client's queue.</summary>
    public const int MaxInFlight = 256;

    /// <summary>
    /// <paramref name="connections"/> loops, each sending the next request as soon as the answer is read. wrk (C, two
    /// threads) takes less of the machine's CPU than a .NET client would, so the service keeps more of it.
    /// </summary>
    public static async Task<ClosedLoopResult> RunClosedAsync(HttpClient client, Uri baseUrl, string pathAndQuery, int connections, TimeSpan duration,
        CancellationToken cancellationToken)
    {
        var url = new Uri(baseUrl, pathAndQuery);
        if (ExecutableSearch.FindOnPath("wrk") is { } wrk)
        {
            var seconds = ((int)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            var result = await CommandRunner.RunAsync(wrk, ["-t2", $"-c{connections.ToString(CultureInfo.InvariantCulture)}", $"-d{seconds}s", "--latency", url.ToString()],
                cancellationToken: cancellationToken);
            var rate = WrkRate().Match(result.StandardOutput);
            if (!result.Succeeded || !rate.Success)
                throw new BuildFailedException($"wrk failed (exit code {result.ExitCode}). Command: {result.CommandLine}{Environment.NewLine}{string.Join(Environment.NewLine, result.Tail(20))}");
            var errors = WrkNon2xx().Match(result.StandardOutput) is { Success: true } non2xx ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            errors += WrkSocketErrors().Matches(result.StandardOutput).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            var version = (await CommandRunner.RunAsync(wrk, ["-v"], cancellationToken: cancellationToken)).Lines.FirstOrDefault()?.Trim() ?? "wrk";
            return new ClosedLoopResult(double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture),
                WrkPercentile(result.StandardOutput, "50"), WrkPercentile(result.StandardOutput, "99"), errors, $"{string.Join(' ', version.Split(' ').Take(2))} (-t2 -c{connections})");
        }

        var readers = await RatesReaders.RunAsync(client, baseUrl, _ => pathAndQuery, connections, duration, seed: 0, cancellationToken);
        var summary = LatencySummary.From("closed loop", readers.LatenciesMs, readers.Errors, readers.Elapsed, readers.ErrorSamples);
        return new ClosedLoopResult(summary.Requests / readers.Elapsed.TotalSeconds, summary.P50, summary.P99, readers.Errors,
            $"the benchmark's .NET readers ({connections} loops; wrk is not on PATH)");
    }

    /// <summary>
    /// Sends requests at <paramref name="perSecond"/> for <paramref name="duration"/>: request i is due at i / rate from
    /// the start and is sent then, whether earlier ones have been answered or not. Its latency runs from when it was
    /// due (not from when a busy client got round to sending it), so a service falling behind shows as latency.
    /// </summary>
    public static async Task<OpenLoopResult> RunOpenAsync(HttpClient client, Uri baseUrl, Func<Random, string> next, double perSecond, TimeSpan duration,
        int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var latencies = new List<double>();
        int errors = 0, shed = 0, inFlight = 0;
        var pending = new List<Task>();
        var clock = Stopwatch.StartNew();
        var total = (int)(perSecond * duration.TotalSeconds);

        async Task SendAsync(Uri uri, TimeSpan due)
        {
            try
            {
                using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseContentRead, cancellationToken);
                var latency = (clock.Elapsed - due).TotalMilliseconds;
                lock (latencies)
                {
                    if (response.IsSuccessStatusCode)
                        latencies.Add(latency);
                    else
                        errors++;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref errors);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }

        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / perSecond);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
                await Task.Delay(wait, cancellationToken);
            var uri = new Uri(baseUrl, next(random));
            if (Interlocked.Increment(ref inFlight) > MaxInFlight)
            {
                Interlocked.Decrement(ref inFlight);
                shed++;
                continue;
            }

            pending.Add(SendAsync(uri, due));
        }

        await Task.WhenAll(pending);
        var sorted = latencies.Order().ToArray();
        double Percentile(double p) => sorted.Length == 0 ? double.NaN : BenchmarkStatistics.Percentile(sorted, p);
        return new OpenLoopResult(perSecond, sorted.Length / duration.TotalSeconds, sorted.Length, errors, shed,
            Percentile(50), Percentile(99), sorted.Length == 0 ? double.NaN : sorted[^1]);
    }

    private static double WrkPercentile(string output, string percent)
    {
        var match = Regex.Match(output, $@"^\s+{percent}%\s+([0-9.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!match.Success)
            return double.NaN;
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"^Requests/sec:\s+([0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex WrkRate();

    [GeneratedRegex(@"Non-2xx or 3xx responses: ([0-9]+)")]
    private static partial Regex WrkNon2xx();

    [GeneratedRegex(@"(?:connect|read|write|timeout) ([0-9]+)")]
    private static partial Regex WrkSocketErrors();
}
