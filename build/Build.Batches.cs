using System.Globalization;
using Rates.Build.Batches;
using Rates.Build.Environments;
using Rates.Synthetic;

partial class Build
{
    // Parameters of GenerateBatch. All start with "Batch" so they read as one group in --help and cannot be
    // picked up by accident from a generic environment variable (ITEMS, SEED, OUTPUT...).

    /// <summary>Upper bound of --batch-items: ten times the service's default maximum, enough for its 413 test.</summary>
    const int MaxBatchItems = 10_000_000;

    /// <summary>Upper bound of --batch-days: the service's default maximum query range (Rates__MaxRangeDays).</summary>
    const int MaxBatchDays = 3_660;

    /// <summary>Defaults of the generator, shown by --help.</summary>
    static readonly BatchSpec DefaultBatchSpec = new();

    [Parameter("GenerateBatch: number of items, valid and invalid together.", Minimum = 1, Maximum = MaxBatchItems)]
    [UsedBy(nameof(GenerateBatch))]
    readonly int BatchItems = DefaultBatchSpec.Items;

    [Parameter("GenerateBatch: consecutive days the items are spread over, from the day after the seed data's last day.", Minimum = 1, Maximum = MaxBatchDays)]
    [UsedBy(nameof(GenerateBatch))]
    readonly int BatchDays = DefaultBatchSpec.Days;

    [Parameter("GenerateBatch: distinct lanes (port pairs) the items are spread over; at most the catalog's port pairs. Up to 500 with the default seed: lanes of the seed data.", Minimum = 1)]
    [UsedBy(nameof(GenerateBatch))]
    readonly int BatchLanes = DefaultBatchSpec.Lanes;

    [Parameter("GenerateBatch: body format (media type application/json or text/csv).")]
    [UsedBy(nameof(GenerateBatch))]
    readonly BatchFormat BatchFormat = DefaultBatchSpec.Format;

    [Parameter("GenerateBatch: gzip the body (sent with Content-Encoding: gzip).")]
    [UsedBy(nameof(GenerateBatch))]
    readonly bool BatchGzip = DefaultBatchSpec.Gzip;

    [Parameter("GenerateBatch: random seed; the same seed and parameters give the same bytes.")]
    [UsedBy(nameof(GenerateBatch))]
    readonly int BatchSeed = DefaultBatchSpec.Seed;

    [Parameter("GenerateBatch: share of invalid items, each wrong in exactly one way (unknown port, bad date, price <= 0, fractional price, missing field), from 0 to 1.",
        Minimum = 0, Maximum = 1)]
    [UsedBy(nameof(GenerateBatch))]
    readonly double BatchInvalidRatio = DefaultBatchSpec.InvalidRatio;

    [Parameter("GenerateBatch: output file, or an existing folder to write the default file name into; default artifacts/batches/<name from the parameters>.")]
    [UsedBy(nameof(GenerateBatch))]
    readonly AbsolutePath? BatchOutput;

    [Parameter("GenerateBatch: PUT the file to <url>/batches/<batch id> of a running service and print the answer. --send URL (http or https, " +
               "e.g. http://127.0.0.1:3000), or --send alone for the environment --env. Against an environment the lanes use the ports of " +
               "its database, so the batch fits whatever data it holds.", ValueWhenBare = SendToEnvironment)]
    [UsedBy(nameof(GenerateBatch))]
    readonly string? Send;

    [Parameter("GenerateBatch --send and Benchmark: the API key writers sign in with (Authorization: Bearer). Default: the key Up " +
               "generated for the environment (.nuke/temp/<env>/api-key, mode 0600; with --send URL, the environment serving that URL).")]
    [Secret]
    [UsedBy(nameof(GenerateBatch), nameof(Benchmark))]
    readonly string? ApiKey;

    /// <summary>The value of a bare --send: the environment named by --env.</summary>
    const string SendToEnvironment = "env";

    [Parameter("GenerateBatch with --send: the batch id; default synthetic-<first 16 hex digits of the file's SHA-256>, so resending the same file is an idempotent replay.")]
    [UsedBy(nameof(GenerateBatch))]
    readonly string? BatchId;

    /// <summary>How long to wait for the service's answer to one batch (a 10-million-item batch takes minutes).</summary>
    static readonly TimeSpan SendTimeout = TimeSpan.FromMinutes(30);

    Target GenerateBatch => _ => _
        .Description("Generates a synthetic price batch (json|csv, optionally gzip) from the seed data's generator into artifacts/batches/; with --send URL " +
                     "(or --send alone and --env NAME), PUTs it to a running service, on lanes of the ports its database has.")
        .Executes(async () =>
        {
            var spec = new BatchSpec
            {
                Items = BatchItems, Days = BatchDays, Lanes = BatchLanes, Format = BatchFormat, Gzip = BatchGzip, Seed = BatchSeed,
                InvalidRatio = BatchInvalidRatio,
            };
            // Checked before generating: a typo in the URL should not cost a long generation first.
            var (serviceUrl, catalog, environment) = Send is null ? (null, PortCatalog.Default, null) : await FindBatchTargetAsync(Send);
            ValidateBatchSpec(spec, catalog);
            if (BatchId is not null)
                BatchUpload.ValidateBatchId(BatchId);

            var path = BatchOutput is null ? RootDirectory / BatchFile.DefaultDirectory / spec.DefaultFileName
                : BatchOutput.DirectoryExists ? BatchOutput / spec.DefaultFileName
                : BatchOutput;
            Output.WriteLine(FormattableString.Invariant(
                $"Generating {spec.Items:N0} items ({spec.InvalidItems:N0} invalid), {spec.Days} days from {spec.StartDay:yyyy-MM-dd}, {spec.Lanes} lanes, seed {spec.Seed}"));

            var summary = await WriteBatchFileAsync(path, spec, catalog);
            WriteBatchSummary(summary, path);

            if (serviceUrl is not null)
                await SendBatchAsync(summary, path, serviceUrl, BatchId ?? BatchUpload.DeriveBatchId(summary.Sha256), WriterKey(environment?.Store));
        });

    /// <summary>
    /// Where --send goes and the ports its batch may name: an environment's service and its database's ports (bare --send:
    /// the environment --env; a URL: the running environment serving on that port, if any), else the project seed's ports.
    /// </summary>
    async Task<(Uri? Url, PortCatalog Catalog, RunningEnvironment? Environment)> FindBatchTargetAsync(string send)
    {
        var url = send == SendToEnvironment ? null : BatchUpload.ParseServiceUrl(send);
        RunningEnvironment? environment;
        if (url is null)
        {
            environment = await Environments.FindRunningAsync(Env, Runtime);
            await EnvironmentLocator.RequireReadyServiceAsync(environment, CancellationToken);
            url = new Uri(environment.ApiUrl);
        }
        else
        {
            environment = url.IsLoopback ? (await Environments.ListRunningAsync()).Running.FirstOrDefault(e => e.ApiPort == url.Port) : null;
        }

        if (environment is null)
        {
            Output.WriteLine($"{url} is not the service of an environment of this checkout; the lanes use the ports of the project's seed.");
            return (url, PortCatalog.Default, null);
        }

        var catalog = await DatabaseCatalog.ReadAsync(environment.ConnectionString(DbPassword), CancellationToken);
        Output.WriteLine(FormattableString.Invariant($"Sending to environment '{environment.Name}' ({url}); lanes from the {catalog.Ports.Count:N0} ports of its database"));
        return (url, catalog, environment);
    }

    async Task<BatchSummary> WriteBatchFileAsync(AbsolutePath path, BatchSpec spec, PortCatalog catalog)
    {
        try
        {
            return await GenerationProgress.RunAsync(Output, "Generating batch", spec.Items,
                progress => BatchFile.WriteAsync(path, spec, catalog, progress, CancellationToken));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BuildFailedException($"Could not write {path}: {ex.Message}", ex);
        }
    }

    /// <summary>The generator's own rules (e.g. the lane limit, which depends on the port catalog), named by parameter.</summary>
    static void ValidateBatchSpec(BatchSpec spec, PortCatalog catalog)
    {
        try
        {
            spec.Validate(catalog);
        }
        catch (ArgumentException ex)
        {
            var parameter = ex.ParamName switch
            {
                nameof(BatchSpec.Items) => "--batch-items",
                nameof(BatchSpec.Days) or nameof(BatchSpec.StartDay) => "--batch-days",
                nameof(BatchSpec.Lanes) => "--batch-lanes",
                nameof(BatchSpec.Format) => "--batch-format",
                nameof(BatchSpec.InvalidRatio) => "--batch-invalid-ratio",
                _ => "a GenerateBatch parameter",
            };
            // ArgumentException appends " (Parameter 'X')" to Message; the plain text is enough here.
            var message = ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            throw new BuildFailedException($"Invalid value for {parameter}: {message}", ex);
        }
    }

    void WriteBatchSummary(BatchSummary summary, AbsolutePath path)
    {
        var spec = summary.Spec;
        var rows = new List<(string, string)>
        {
            ("File", DisplayPath(path)),
            ("Format", $"{spec.Format.ToString().ToLowerInvariant()}{(spec.Gzip ? " + gzip" : "")} (Content-Type: {spec.ContentType}{(spec.ContentEncoding is null ? "" : $", Content-Encoding: {spec.ContentEncoding}")})"),
            ("Items", FormattableString.Invariant($"{summary.Items:N0} ({summary.Items - summary.InvalidItems:N0} valid, {summary.InvalidItems:N0} invalid)")),
        };
        foreach (var (kind, count) in summary.InvalidByKind.Where(k => k.Value > 0).OrderBy(k => k.Key))
            rows.Add(($"  invalid: {kind}", count.ToString("N0", CultureInfo.InvariantCulture)));
        if (summary.FirstInvalidItems.Count > 0)
        {
            // Shown the way the service reports them (item index; CSV line = index + 2), to compare with its 422.
            var first = summary.FirstInvalidItems.Take(3).Select(i => spec.Format == Rates.Synthetic.BatchFormat.Csv
                ? FormattableString.Invariant($"line {i.Index + 2} {i.Field} ({i.Kind})")
                : FormattableString.Invariant($"#{i.Index} {i.Field} ({i.Kind})"));
            rows.Add(("  first invalid", string.Join(", ", first)));
        }

        rows.Add(("Days", $"{spec.StartDay:yyyy-MM-dd} to {spec.StartDay.AddDays(spec.Days - 1):yyyy-MM-dd} ({spec.Days} days), {spec.Lanes} lanes, seed {spec.Seed}"));
        rows.Add(("Bytes", spec.Gzip
            ? FormattableString.Invariant($"{summary.Bytes:N0} ({summary.UncompressedBytes:N0} uncompressed)")
            : FormattableString.Invariant($"{summary.Bytes:N0}")));
        rows.Add(("SHA-256", summary.Sha256));
        if (spec.Gzip)
            rows.Add(("SHA-256 uncompressed", summary.UncompressedSha256));
        WriteKeyValueTable([.. rows]);
    }

    /// <summary>--api-key, else the key stored for --env, else none (the service then answers 401 or 403, and says why).</summary>
    /// <summary>--api-key, else the key stored for the environment (<paramref name="store"/>, default --env).</summary>
    string? WriterKey(EnvironmentStore? store = null) => ApiKey ?? (store ?? Environments.Store(Env)).ReadSecret(Credential.ApiKey);

    async Task SendBatchAsync(BatchSummary summary, AbsolutePath path, Uri serviceUrl, string batchId, string? apiKey)
    {
        var uri = BatchUpload.BatchUri(serviceUrl, batchId);
        Output.WriteLine(FormattableString.Invariant($"PUT {uri} ({summary.Bytes:N0} bytes, {summary.Spec.ContentType}{(summary.Spec.Gzip ? ", gzip" : "")})"));

        using var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) };
        using var client = new HttpClient(handler) { Timeout = SendTimeout };
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var response = await BatchUpload.SendAsync(client, uri, path, summary.Spec.ContentType, summary.Spec.ContentEncoding, apiKey, CancellationToken);
        var elapsed = stopwatch.Elapsed;

        var colour = response.IsSuccess ? "green" : "red";
        Output.MarkupLine(FormattableString.Invariant(
            $"[{colour}]HTTP {Markup.Escape(response.StatusLine)}[/] after {elapsed.TotalSeconds:0.00}s{(response.ContentType is null ? "" : $" ({Markup.Escape(response.ContentType)})")}"));
        foreach (var line in BatchResponseFormatter.Format(response.Body, response.BodyTruncated))
            Output.WriteLine("  " + line);

        if (!response.IsSuccess)
        {
            var problem = BatchResponseFormatter.ProblemSummary(response.Body);
            throw new BuildFailedException($"PUT {uri} answered {response.StatusLine}{(problem is null ? "" : ": " + problem)}");
        }
    }

    /// <summary>Relative to the repository root when inside it, else absolute.</summary>
    static string DisplayPath(AbsolutePath path)
    {
        var relative = path.RelativeTo(RootDirectory);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }
}
