using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Rates.Synthetic.Tests;

public class BatchWriterTests
{
    private sealed record ParsedItem(string? OrigCode, string? DestCode, string? Day, string? Price);

    private static async Task<(byte[] Bytes, BatchSummary Summary)> WriteAsync(BatchSpec spec, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        using var output = new MemoryStream();
        var summary = await BatchWriter.WriteAsync(spec, output, progress, ct);
        return (output.ToArray(), summary);
    }

    private static List<ParsedItem> Parse(BatchSpec spec, byte[] bytes)
    {
        if (spec.Gzip)
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gzip.CopyTo(plain);
            bytes = plain.ToArray();
        }

        return spec.Format == BatchFormat.Json ? ParseJson(bytes) : ParseCsv(Encoding.UTF8.GetString(bytes));
    }

    private static List<ParsedItem> ParseJson(byte[] bytes)
    {
        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        Assert.Equal(["prices"], root.EnumerateObject().Select(p => p.Name));
        return root.GetProperty("prices").EnumerateArray().Select(item =>
        {
            Assert.All(item.EnumerateObject(), p => Assert.Contains(p.Name, new[] { "orig_code", "dest_code", "day", "price" }));
            string? Text(string name) => item.TryGetProperty(name, out var value) ? value.GetString() : null;
            string? Number(string name)
            {
                if (!item.TryGetProperty(name, out var value))
                    return null;
                Assert.Equal(JsonValueKind.Number, value.ValueKind);
                return value.GetRawText();
            }

            return new ParsedItem(Text("orig_code"), Text("dest_code"), Text("day"), Number("price"));
        }).ToList();
    }

    private static List<ParsedItem> ParseCsv(string text)
    {
        var lines = text.Split('\n');
        Assert.Equal("orig_code,dest_code,day,price", lines[0]);
        Assert.Equal(string.Empty, lines[^1]); // ends with a newline
        return lines[1..^1].Select(line =>
        {
            var fields = line.Split(',');
            Assert.Equal(4, fields.Length);
            string? F(int i) => fields[i].Length == 0 ? null : fields[i];
            return new ParsedItem(F(0), F(1), F(2), F(3));
        }).ToList();
    }

    /// <summary>Judges an item the way the service is required to, independently of the generator.</summary>
    private static List<(InvalidItemKind Kind, string Field)> Problems(ParsedItem item)
    {
        var problems = new List<(InvalidItemKind, string)>();
        foreach (var (field, value) in new[] { ("orig_code", item.OrigCode), ("dest_code", item.DestCode) })
        {
            if (value is null)
                problems.Add((InvalidItemKind.MissingField, field));
            else if (!PortCatalog.Default.ContainsPort(value))
                problems.Add((InvalidItemKind.UnknownPortCode, field));
        }

        if (item.Day is null)
            problems.Add((InvalidItemKind.MissingField, "day"));
        else if (!DateOnly.TryParseExact(item.Day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            problems.Add((InvalidItemKind.BadDate, "day"));

        if (item.Price is null)
            problems.Add((InvalidItemKind.MissingField, "price"));
        else
        {
            var price = decimal.Parse(item.Price, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (price != decimal.Truncate(price))
                problems.Add((InvalidItemKind.NonIntegerPrice, "price"));
            else if (price <= 0)
                problems.Add((InvalidItemKind.NonPositivePrice, "price"));
        }

        return problems;
    }

    public static TheoryData<BatchFormat, bool, double> FormatsAndRatios => new()
    {
        { BatchFormat.Json, false, 0 },
        { BatchFormat.Json, false, 0.013 },
        { BatchFormat.Json, true, 0.25 },
        { BatchFormat.Csv, false, 0 },
        { BatchFormat.Csv, false, 0.013 },
        { BatchFormat.Csv, true, 1 },
    };

    [Theory]
    [MemberData(nameof(FormatsAndRatios))]
    public async Task Batch_parses_back_with_the_requested_items_and_invalid_ratio(BatchFormat format, bool gzip, double ratio)
    {
        var spec = new BatchSpec { Items = 7_000, Format = format, Gzip = gzip, InvalidRatio = ratio, Seed = 11 };
        var (bytes, summary) = await WriteAsync(spec);
        var items = Parse(spec, bytes);

        Assert.Equal(7_000, items.Count);
        var problems = items.Select(Problems).ToList();
        Assert.All(problems, p => Assert.True(p.Count <= 1, $"an item is invalid in {p.Count} ways"));
        var invalid = problems.Select((p, index) => (p, index)).Where(x => x.p.Count == 1).Select(x => new InvalidItem(x.index, x.p[0].Kind, x.p[0].Field)).ToList();

        var expected = (int)Math.Round(7_000 * (decimal)ratio, MidpointRounding.AwayFromZero);
        Assert.Equal(expected, invalid.Count);
        Assert.Equal(expected, summary.InvalidItems);
        Assert.Equal(7_000, summary.Items);
        Assert.Equal(invalid.Take(BatchSummary.InvalidItemSampleSize), summary.FirstInvalidItems);
        foreach (var kind in Enum.GetValues<InvalidItemKind>())
            Assert.Equal(invalid.Count(i => i.Kind == kind), summary.InvalidByKind[kind]);
        if (expected >= 5)
            Assert.All(Enum.GetValues<InvalidItemKind>(), kind => Assert.True(summary.InvalidByKind[kind] > 0, $"no {kind} item"));
    }

    [Fact]
    public async Task Default_batch_has_50000_valid_items_on_seed_lanes_after_the_seed_period()
    {
        var spec = new BatchSpec();
        Assert.Equal(50_000, spec.Items);
        var (bytes, summary) = await WriteAsync(spec);
        var items = Parse(spec, bytes);

        Assert.Equal(50_000, items.Count);
        Assert.Equal(0, summary.InvalidItems);
        Assert.All(items, i => Assert.Empty(Problems(i)));

        var seedLanes = SyntheticDatasetTests.DefaultDataset.Value.Lanes.Select(l => (l.OrigCode, l.DestCode)).ToHashSet();
        var lanes = items.Select(i => (i.OrigCode!, i.DestCode!)).Distinct().ToList();
        Assert.All(lanes, lane => Assert.Contains(lane, seedLanes));
        Assert.InRange(lanes.Count, 450, spec.Lanes);

        var days = items.Select(i => DateOnly.ParseExact(i.Day!, "yyyy-MM-dd", CultureInfo.InvariantCulture)).Distinct().ToList();
        Assert.Equal(spec.Days, days.Count);
        Assert.Equal(SeedSpec.Default.EndDay.AddDays(1), days.Min());
        Assert.Equal(spec.StartDay.AddDays(spec.Days - 1), days.Max());
    }

    [Fact]
    public async Task Items_spread_over_the_requested_lanes_and_days()
    {
        var spec = new BatchSpec { Items = 5_000, Lanes = 3, Days = 2, Format = BatchFormat.Csv, StartDay = new DateOnly(2021, 1, 5), Seed = 3 };
        var items = Parse(spec, (await WriteAsync(spec)).Bytes);
        Assert.Equal(3, items.Select(i => (i.OrigCode, i.DestCode)).Distinct().Count());
        Assert.Equal(["2021-01-05", "2021-01-06"], items.Select(i => i.Day).Distinct().Order(StringComparer.Ordinal));
        Assert.All(items, i => Assert.NotEqual(i.OrigCode, i.DestCode));
    }

    [Theory]
    [InlineData(BatchFormat.Json, false)]
    [InlineData(BatchFormat.Csv, false)]
    [InlineData(BatchFormat.Json, true)]
    [InlineData(BatchFormat.Csv, true)]
    public async Task Same_seed_gives_the_same_bytes_and_another_seed_different_bytes(BatchFormat format, bool gzip)
    {
        var spec = new BatchSpec { Items = 3_000, Format = format, Gzip = gzip, InvalidRatio = 0.1, Seed = 99 };
        var first = await WriteAsync(spec);
        var second = await WriteAsync(spec);
        var other = await WriteAsync(spec with { Seed = 100 });

        Assert.Equal(first.Bytes, second.Bytes);
        Assert.Equal(first.Summary.Sha256, second.Summary.Sha256);
        Assert.NotEqual(first.Bytes, other.Bytes);
        Assert.NotEqual(first.Summary.UncompressedSha256, other.Summary.UncompressedSha256);
    }

    // Pinned digests of the uncompressed bodies: if these change, the generator's output changed (a new
    // algorithm, Bogus version or a machine-dependent step). Update them only for a deliberate change.
    [Theory]
    [InlineData(BatchFormat.Json, "c2d61e2f99c939607f6086246070f957351b7ecef888b47ecab9a88b065d60ea")]
    [InlineData(BatchFormat.Csv, "91cc719405ff934da5ef1d74c00c89e9f665441994f2813408e5160e7e6b8a68")]
    public async Task Uncompressed_bytes_are_pinned_across_machines(BatchFormat format, string sha256)
    {
        var spec = new BatchSpec { Items = 2_000, Format = format, InvalidRatio = 0.05, Seed = 2021, Gzip = true };
        var (_, summary) = await WriteAsync(spec);
        Assert.Equal(sha256, summary.UncompressedSha256);
    }

    [Theory]
    [InlineData(BatchFormat.Json)]
    [InlineData(BatchFormat.Csv)]
    public async Task Gzip_round_trips_to_the_uncompressed_body(BatchFormat format)
    {
        var plainSpec = new BatchSpec { Items = 20_000, Format = format, InvalidRatio = 0.02, Seed = 5 };
        var plain = await WriteAsync(plainSpec);
        var zipped = await WriteAsync(plainSpec with { Gzip = true });

        Assert.Equal([0x1f, 0x8b], zipped.Bytes[..2]);
        using var gzip = new GZipStream(new MemoryStream(zipped.Bytes), CompressionMode.Decompress);
        using var decompressed = new MemoryStream();
        await gzip.CopyToAsync(decompressed);
        Assert.Equal(plain.Bytes, decompressed.ToArray());

        Assert.True(zipped.Bytes.Length < plain.Bytes.Length / 3, "gzip should shrink the body a lot");
        Assert.Equal(zipped.Bytes.Length, zipped.Summary.Bytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(zipped.Bytes)), zipped.Summary.Sha256);
        Assert.Equal(plain.Bytes.Length, zipped.Summary.UncompressedBytes);
        Assert.Equal(plain.Summary.Sha256, zipped.Summary.UncompressedSha256);
        Assert.Equal(plain.Summary.Sha256, plain.Summary.UncompressedSha256);
    }

    [Fact]
    public async Task Output_is_streamed_in_bounded_chunks()
    {
        var sink = new WriteSizeRecordingStream();
        var summary = await BatchWriter.WriteAsync(new BatchSpec { Items = 200_000 }, sink);
        Assert.True(sink.Writes > 50, $"only {sink.Writes} writes for {summary.Bytes} bytes");
        Assert.InRange(sink.LargestWrite, 1, 256 * 1024);
        Assert.Equal(summary.Bytes, sink.Total);
    }

    [Fact]
    public async Task Progress_counts_items_up_to_the_total()
    {
        var progress = new RecordingProgress();
        await WriteAsync(new BatchSpec { Items = 2_500 }, progress);
        Assert.Equal([1_000, 2_000, 2_500], progress.Values);
    }

    [Fact]
    public async Task Cancellation_stops_the_generation()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WriteAsync(new BatchSpec(), ct: cts.Token));

        using var midway = new CancellationTokenSource();
        var progress = new CancelOnFirstReport(midway);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WriteAsync(new BatchSpec { Items = 100_000 }, progress, midway.Token));
    }

    private sealed class CancelOnFirstReport(CancellationTokenSource cts) : IProgress<long>
    {
        public void Report(long value) => cts.Cancel();
    }

    [Fact]
    public async Task Batch_file_is_written_whole_with_its_digest()
    {
        var dir = Directory.CreateTempSubdirectory("rates-batch-");
        try
        {
            var spec = new BatchSpec { Items = 1_234, Format = BatchFormat.Csv, Gzip = true, InvalidRatio = 0.5 };
            var path = Path.Combine(dir.FullName, "out", spec.DefaultFileName);
            var summary = await BatchFile.WriteAsync(path, spec);

            var bytes = await File.ReadAllBytesAsync(path);
            Assert.Equal(path, summary.Path);
            Assert.Equal(bytes.Length, summary.Bytes);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), summary.Sha256);
            Assert.Equal(617, summary.InvalidItems);
            Assert.Equal([spec.DefaultFileName], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
            Assert.Contains("1234 items (617 invalid)", summary.ToString());
            Assert.Contains(summary.Sha256, summary.ToString());

            using var cts = new CancellationTokenSource();
            var cancelled = Path.Combine(dir.FullName, "cancelled.json");
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => BatchFile.WriteAsync(cancelled, new BatchSpec { Items = 100_000 }, new CancelOnFirstReport(cts), cts.Token));
            Assert.False(File.Exists(cancelled));
            Assert.False(File.Exists(cancelled + ".tmp"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(3, 0.5, 2)]
    [InlineData(10, 0.05, 1)]
    [InlineData(10, 0.04, 0)]
    [InlineData(50_000, 0.001, 50)]
    [InlineData(7, 1.0, 7)]
    public void Invalid_count_is_the_ratio_rounded_half_away_from_zero(int items, double ratio, int expected)
    {
        Assert.Equal(expected, new BatchSpec { Items = items, InvalidRatio = ratio }.InvalidItems);
    }

    [Fact]
    public void Spec_describes_the_request_and_file()
    {
        Assert.Equal("prices-n50000-d30-l500-s20240101.json", new BatchSpec().DefaultFileName);
        var csv = new BatchSpec { Format = BatchFormat.Csv, Gzip = true, InvalidRatio = 0.01, Items = 10 };
        Assert.Equal("prices-n10-d30-l500-s20240101-i0.01.csv.gz", csv.DefaultFileName);
        Assert.Equal("text/csv", csv.ContentType);
        Assert.Equal("gzip", csv.ContentEncoding);
        Assert.Equal("application/json", new BatchSpec().ContentType);
        Assert.Null(new BatchSpec().ContentEncoding);
    }

    [Theory]
    [InlineData("json", BatchFormat.Json)]
    [InlineData("CSV", BatchFormat.Csv)]
    [InlineData(" Json ", BatchFormat.Json)]
    public void Format_parses_from_parameters(string text, BatchFormat expected)
    {
        Assert.Equal(expected, BatchSpec.ParseFormat(text));
    }

    [Theory]
    [InlineData("xml")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_formats_are_rejected(string? text)
    {
        var error = Assert.Throws<ArgumentException>(() => BatchSpec.ParseFormat(text));
        Assert.Contains("'json' or 'csv'", error.Message);
    }

    public static TheoryData<BatchSpec, string, string> BadBatchSpecs => new()
    {
        { new BatchSpec { Items = 0 }, "Items", "greater than 0" },
        { new BatchSpec { Items = -5 }, "Items", "greater than 0" },
        { new BatchSpec { Days = 0 }, "Days", "at least 1" },
        { new BatchSpec { Lanes = 0 }, "Lanes", "between 1 and" },
        { new BatchSpec { Lanes = LaneGenerator.MaxLanes(PortCatalog.Default) + 1 }, "Lanes", "between 1 and" },
        { new BatchSpec { InvalidRatio = -0.01 }, "InvalidRatio", "between 0 and 1" },
        { new BatchSpec { InvalidRatio = 1.01 }, "InvalidRatio", "between 0 and 1" },
        { new BatchSpec { InvalidRatio = double.NaN }, "InvalidRatio", "between 0 and 1" },
        { new BatchSpec { Format = (BatchFormat)7 }, "Format", "Json or Csv" },
        { new BatchSpec { StartDay = DateOnly.MaxValue, Days = 2 }, "StartDay", "must not pass 9999-12-31" },
    };

    [Theory]
    [MemberData(nameof(BadBatchSpecs))]
    public async Task Bad_batch_specs_are_rejected_naming_the_field_and_range(BatchSpec spec, string field, string range)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => BatchWriter.WriteAsync(spec, Stream.Null));
        Assert.Equal(field, error.ParamName);
        Assert.Contains("BatchSpec." + field, error.Message);
        Assert.Contains(range, error.Message);
    }

    [Fact]
    public async Task A_read_only_output_is_rejected()
    {
        using var readOnly = new MemoryStream([], writable: false);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => BatchWriter.WriteAsync(new BatchSpec { Items = 1 }, readOnly));
        Assert.Equal("output", error.ParamName);
    }
}
