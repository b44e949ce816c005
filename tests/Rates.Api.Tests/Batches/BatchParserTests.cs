using System.Text;
using Rates.Api.Batches;

namespace Rates.Api.Tests.Batches;

/// <summary>
/// The streaming parsers without a database: a body arriving a few bytes at a time parses exactly as one arriving
/// whole (items, problems, and the line and position of a syntax error), and the item rules.
/// </summary>
public sealed class BatchParserTests
{
    private static readonly int[] ChunkSizes = [1, 2, 3, 7, 64, int.MaxValue];

    private const string JsonBody = """
        {
          "source": {"name": "test", "tags": ["a", {"b": [1, 2]}]},
          "prices": [
            {"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-01-05", "price": 1234},
            {"price": 1.5e3, "day": "2031-01-06", "note": {"x": [true, null]}, "dest_code": "NL\u0052TM", "orig_code": "CNSGH"},
            {"orig_code": "CNSGH", "dest_code": "ZZZZZ", "day": "2031-02-30", "price": 12.5},
            "not an item",
            {"orig_code": "A\"B", "dest_code": "NLRTM", "day": "2031-01-07"},
            {"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-01-08", "price": 99999999999999999999}
          ],
          "trailer": "ignored"
        }
        """;

    private const string CsvBody =
        "\uFEFFprice,day,orig_code,dest_code\r\n" +
        "1234,2031-01-05,CNSGH,NLRTM\r\n" +
        "\r\n" +
        "\"1500\",\"2031-01-06\",\"CN\"\"SGH\",NLRTM\r\n" +
        "0,2031-1-6,\"two\nlines\",\r\n" +
        "7,2031-01-07,CNSGH,NLRTM";

    [Fact]
    public async Task A_json_body_parses_the_same_whatever_the_chunks_it_arrives_in()
    {
        var (expected, expectedProblems) = await ParseAsync(JsonBody, BatchFormat.Json, int.MaxValue);

        Assert.Equal(
            [
                new StagedItem(0, null, "CNSGH", "NLRTM", new DateOnly(2031, 1, 5), 1234, true),
                new StagedItem(1, null, "CNSGH", "NLRTM", new DateOnly(2031, 1, 6), 1500, true),
                new StagedItem(2, null, "CNSGH", "ZZZZZ", null, null, false),
                new StagedItem(4, null, "A\"B", "NLRTM", new DateOnly(2031, 1, 7), null, false),
                new StagedItem(5, null, "CNSGH", "NLRTM", new DateOnly(2031, 1, 8), null, false),
            ],
            expected);
        Assert.Equal(
            [
                new InvalidBatchItem(2, null, "day", "bad date", "2031-02-30"),
                new InvalidBatchItem(2, null, "price", "non-integer price", "12.5"),
                new InvalidBatchItem(3, null, null, "not an object", null),
                new InvalidBatchItem(4, null, "price", "missing field", null),
                new InvalidBatchItem(5, null, "price", "price too large", "99999999999999999999"),
            ],
            expectedProblems.Sample);
        Assert.Equal(4, expectedProblems.InvalidItems);

        foreach (var chunk in ChunkSizes)
        {
            var (items, problems) = await ParseAsync(JsonBody, BatchFormat.Json, chunk);
            Assert.Equal(expected, items);
            Assert.Equal(expectedProblems.Sample, problems.Sample);
        }
    }

    [Fact]
    public async Task A_csv_body_parses_the_same_whatever_the_chunks_it_arrives_in()
    {
        var (expected, expectedProblems) = await ParseAsync(CsvBody, BatchFormat.Csv, int.MaxValue);

        Assert.Equal(
            [
                new StagedItem(0, 2, "CNSGH", "NLRTM", new DateOnly(2031, 1, 5), 1234, true),
                new StagedItem(1, 4, "CN\"SGH", "NLRTM", new DateOnly(2031, 1, 6), 1500, true),
                new StagedItem(2, 5, null, null, null, null, false),
                new StagedItem(3, 7, "CNSGH", "NLRTM", new DateOnly(2031, 1, 7), 7, true),
            ],
            expected);
        Assert.Equal(
            [
                new InvalidBatchItem(2, 5, "orig_code", "invalid port code", "two\nlines"),
                new InvalidBatchItem(2, 5, "dest_code", "missing field", null),
                new InvalidBatchItem(2, 5, "day", "bad date", "2031-1-6"),
                new InvalidBatchItem(2, 5, "price", "non-positive price", "0"),
            ],
            expectedProblems.Sample);

        foreach (var chunk in ChunkSizes)
        {
            var (items, problems) = await ParseAsync(CsvBody, BatchFormat.Csv, chunk);
            Assert.Equal(expected, items);
            Assert.Equal(expectedProblems.Sample, problems.Sample);
        }
    }

    [Theory]
    [InlineData("json", "{\"prices\": [\n{\"orig_code\": \"CNSGH\"},\n\n  {\"orig_code\": \"CNSGH\" \"dest_code\": 1}]}", 4, 25L)]
    [InlineData("json", "{\"prices\": [\n{\"orig_code\": \"CNSGH\"},\n  [1, 2,, 3]]}", 3, 9L)]
    [InlineData("csv", "orig_code,dest_code,day,price\nCNSGH,NLRTM,2031-01-05,1\n\"a\nb\",NLRTM,2031-01-05,1\nCNSGH,NLRTM\n", 5, null)]
    [InlineData("csv", "orig_code,dest_code,day,price\nCNSGH,NLRTM,2031-01-05,1\nCNSGH,\"NLRTM\"x,2031-01-05,1\n", 3, 14L)]
    public async Task A_syntax_error_is_reported_at_the_same_line_and_position_whatever_the_chunks(string format, string body, long line, long? position)
    {
        foreach (var chunk in ChunkSizes)
        {
            var error = await Assert.ThrowsAsync<BatchFormatException>(() => ParseAsync(body, format == "json" ? BatchFormat.Json : BatchFormat.Csv, chunk));
            Assert.Equal(line, error.Line);
            Assert.Equal(position, error.Position);
        }
    }

    [Fact]
    public async Task Reading_stops_as_soon_as_the_item_limit_is_crossed()
    {
        var body = BatchBodies.Csv(BatchBodies.Lane("CNSGH", "NLRTM", new DateOnly(2031, 1, 5), 100_000));
        var stream = new TrickleStream(Encoding.UTF8.GetBytes(body), 4096);

        await Assert.ThrowsAsync<BatchTooLargeException>(() =>
            BatchIngestor.ReadItemsAsync(stream, new CsvBatchParser(new PortCodeCache(), new BatchProblems(), BatchIngestor.MaxItemBytes), 1_000, (_, _) => Task.CompletedTask, default));

        Assert.True(stream.Position < 200_000, $"read {stream.Position} of {body.Length} bytes");
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("1234", 1234)]
    [InlineData("2147483647", 2147483647)]
    [InlineData("1234.0", 1234)]
    [InlineData("1234.000", 1234)]
    [InlineData("1.234e3", 1234)]
    [InlineData("1E3", 1000)]
    [InlineData("12340e-1", 1234)]
    [InlineData("007", 7)]
    public void Integral_prices_are_accepted_however_written(string text, int price)
    {
        Assert.Equal(ItemRules.PriceCheck.Valid, ItemRules.ClassifyPrice(Encoding.ASCII.GetBytes(text), out var value));
        Assert.Equal(price, value);
    }

    [Theory]
    [InlineData("12.5", "NonInteger")]
    [InlineData("0.5", "NonInteger")]
    [InlineData("-1.5", "NonInteger")]
    [InlineData("1e-400", "NonInteger")]
    [InlineData("1234e-1", "NonInteger")]
    [InlineData("0", "NonPositive")]
    [InlineData("-0", "NonPositive")]
    [InlineData("0.000", "NonPositive")]
    [InlineData("-5", "NonPositive")]
    [InlineData("2147483648", "TooLarge")]
    [InlineData("1e10", "TooLarge")]
    [InlineData("1e999999999999", "TooLarge")]
    [InlineData("abc", "NotANumber")]
    [InlineData("+5", "NotANumber")]
    [InlineData("1.", "NotANumber")]
    [InlineData(".5", "NotANumber")]
    [InlineData("1e", "NotANumber")]
    [InlineData("1 ", "NotANumber")]
    [InlineData("0x10", "NotANumber")]
    [InlineData("NaN", "NotANumber")]
    [InlineData("Infinity", "NotANumber")]
    public void Other_prices_are_classified(string text, string expected)
    {
        Assert.Equal(Enum.Parse<ItemRules.PriceCheck>(expected), ItemRules.ClassifyPrice(Encoding.ASCII.GetBytes(text), out _));
    }

    [Theory]
    [InlineData("2024-02-29", true)]
    [InlineData("1900-01-01", true)]
    [InlineData("2999-12-31", true)]
    [InlineData("1899-12-31", false)]
    [InlineData("3000-01-01", false)]
    [InlineData("0001-01-01", false)]
    [InlineData("9999-12-31", false)]
    [InlineData("2023-02-29", false)]
    [InlineData("2024-04-31", false)]
    [InlineData("2024-00-10", false)]
    [InlineData("2024-13-10", false)]
    [InlineData("2024-01-00", false)]
    [InlineData("0000-01-01", false)]
    [InlineData("2024-1-05", false)]
    [InlineData("2024-01-5", false)]
    [InlineData("24-01-05", false)]
    [InlineData("2024/01/05", false)]
    [InlineData("2024-01-05T00:00", false)]
    [InlineData(" 2024-01-05", false)]
    [InlineData("２０２４-01-05", false)]
    public void Days_are_strict_iso_calendar_dates(string text, bool valid)
    {
        Assert.Equal(valid, ItemRules.TryParseDay(Encoding.UTF8.GetBytes(text), out _));
    }

    private static async Task<(List<StagedItem> Items, BatchProblems Problems)> ParseAsync(string body, BatchFormat format, int chunk)
    {
        var problems = new BatchProblems();
        var codes = new PortCodeCache();
        IBatchParser parser = format == BatchFormat.Json
            ? new JsonBatchParser(codes, problems, BatchIngestor.MaxItemBytes)
            : new CsvBatchParser(codes, problems, BatchIngestor.MaxItemBytes);
        var all = new List<StagedItem>();
        await BatchIngestor.ReadItemsAsync(
            new TrickleStream(Encoding.UTF8.GetBytes(body), chunk),
            parser,
            int.MaxValue,
            (items, _) =>
            {
                all.AddRange(items);
                return Task.CompletedTask;
            },
            default);
        return (all, problems);
    }

    /// <summary>A body that arrives at most <c>chunk</c> bytes per read, as from a slow network.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data, writable: false)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, chunk), cancellationToken);
    }
}
