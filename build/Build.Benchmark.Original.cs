using Rates.Build.Benchmark;

/// <summary>Benchmark: uncached /rates against the original Flask service on the same database (--benchmark-original-service).</summary>
partial class Build
{
    [UsedBy(nameof(Benchmark))]
    [Parameter("Benchmark: the rates/ folder of a checkout of https://github.com/xeneta/operations-task. The original Flask service then runs " +
               "with 4 gunicorn workers (gunicorn from PATH; apt-get install " + OriginalService.DebianPackages + ") on the same database " +
               "and is measured against uncached /rates, interleaved, for the ratio (goal ≥ 10 ×).")]
    readonly AbsolutePath? BenchmarkOriginalService;

    /// <summary><see cref="OriginalComparison.Rounds"/> rounds of the same closed loop on this service and on the original; null without the parameter.</summary>
    async Task<OriginalComparison?> CompareWithOriginalAsync(BenchmarkEnvironment environment, HttpClient client, Uri serviceUrl, TimeSpan phase)
    {
        if (BenchmarkOriginalService is not { } directory)
        {
            Output.WriteLine($"The original service is not measured (to measure it: {OriginalService.HowToMeasure})");
            return null;
        }

        var request = s_canonicalQuery.PathAndQuery;
        await using var original = await OriginalService.StartAsync(directory, environment.DbPort, PsqlCommand.Database, PsqlCommand.User,
            environment.Password, request, CancellationToken);
        Output.WriteLine(Invariant($"The original service on {original.Url} ({original.Description}): {OriginalComparison.Rounds} rounds against this service, {BenchmarkConnections} connections, {phase.TotalSeconds:0} s each"));
        await RatesReaders.RunAsync(client, original.Url, _ => request, BenchmarkConnections, BenchmarkReaderWarmUp, 0, CancellationToken);
        var (ours, theirs) = (new List<ClosedLoopResult>(), new List<ClosedLoopResult>());
        for (var round = 1; round <= OriginalComparison.Rounds; round++)
        {
            ours.Add(await RatesLoad.RunClosedAsync(client, serviceUrl, request, BenchmarkConnections, phase, CancellationToken));
            theirs.Add(await RatesLoad.RunClosedAsync(client, original.Url, request, BenchmarkConnections, phase, CancellationToken));
            Output.WriteLine(Invariant($"  [round {round}/{OriginalComparison.Rounds}] this service {ours[^1].RequestsPerSecond:N0} /s ({ours[^1].Errors} errors), the original {theirs[^1].RequestsPerSecond:N0} /s ({theirs[^1].Errors} errors)"));
        }

        await original.StopAsync();
        var comparison = new OriginalComparison(original.Description, ours, theirs);
        Output.WriteLine(Invariant($"  this service / original = {comparison.Ratio:0.00} × (medians; goal ≥ {OriginalComparison.Goal} ×)"));
        return comparison;
    }
}
