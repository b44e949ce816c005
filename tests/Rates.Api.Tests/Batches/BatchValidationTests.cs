using System.Net;
using System.Text.Json;
using Rates.Api.Tests.Infrastructure;
using Rates.Synthetic;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests.Batches;

/// <summary>422: invalid items are listed (index or CSV line, field, reason) with their total count, and nothing is written.</summary>
[Collection(PostgresCollection.Name)]
public sealed class BatchValidationTests(PostgresFixture postgres)
{
    private const string GoodJson = """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-03-01", "price": 1200}""";
    private const string GoodCsv = "CNSGH,NLRTM,2031-03-01,1200";

    private Task<BatchApi> ApiAsync() => BatchApi.SharedAsync(postgres, "batch-validation");

    /// <summary>An invalid item (JSON), the field and reason reported, and the value echoed (null when none).</summary>
    public static TheoryData<string, string, string, string?> InvalidJsonItems => new()
    {
        { """{"orig_code": "ZZZZZ", "dest_code": "NLRTM", "day": "2031-03-01", "price": 1200}""", "orig_code", "unknown port code", "ZZZZZ" },
        { """{"orig_code": "CNSGH", "dest_code": "nlrtm", "day": "2031-03-01", "price": 1200}""", "dest_code", "unknown port code", "nlrtm" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-02-30", "price": 1200}""", "day", "bad date", "2031-02-30" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-3-1", "price": 1200}""", "day", "bad date", "2031-3-1" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-03-01T00:00:00", "price": 1200}""", "day", "bad date", "2031-03-01T00:00:00" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": 20310301, "price": 1200}""", "day", "bad date", "20310301" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-03-01", "price": 0}""", "price", "non-positive price", "0" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-03-01", "price": -15}""", "price", "non-positive price", "-15" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-03-01", "price": 1200.5}""", "price", "non-integer price", "1200.5" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-03-01", "price": 1e-3}""", "price", "non-integer price", "1e-3" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-03-01", "price": 2147483648}""", "price", "price too large", "2147483648" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-03-01", "price": "1200"}""", "price", "not a number", "1200" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-03-01"}""", "price", "missing field", null },
        { """{"orig_code": "CNSGH", "day": "2031-03-01", "price": 1200}""", "dest_code", "missing field", null },
        { """{"orig_code": null, "dest_code": "NLRTM", "day": "2031-03-01", "price": 1200}""", "orig_code", "missing field", null },
        { """{"orig_code": "", "dest_code": "NLRTM", "day": "2031-03-01", "price": 1200}""", "orig_code", "missing field", null },
        { """{"orig_code": 42, "dest_code": "NLRTM", "day": "2031-03-01", "price": 1200}""", "orig_code", "not a string", "42" },
        { """{"orig_code": "CN\u0000GH", "dest_code": "NLRTM", "day": "2031-03-01", "price": 1200}""", "orig_code", "invalid port code", "CN\0GH" },
        { """{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2031-03-01", "price": 1200, "price": 1300}""", "price", "duplicate field", null },
    };

    [Theory]
    [MemberData(nameof(InvalidJsonItems))]
    public async Task Each_invalid_json_item_class_answers_422_naming_index_field_and_reason(string item, string field, string reason, string? value)
    {
        var api = await ApiAsync();
        var before = await PriceCountAsync(api.ConnectionString);
        var id = $"invalid-json-{Guid.NewGuid():N}";

        using var response = await api.Client.PutAsync($"/batches/{id}", Content(Json(GoodJson, item, GoodJson), "application/json"));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("1 of 3 items are invalid; nothing was written. Each item needs orig_code and dest_code (codes of known ports), day (a calendar date written YYYY-MM-DD, from 1900-01-01 to 2999-12-31) and price (a positive integer of at most 2147483647).", problem.GetProperty("detail").GetString());
        Assert.Equal(1, problem.GetProperty("invalidCount").GetInt32());
        Assert.Equal(3, problem.GetProperty("items").GetInt32());
        var invalid = Assert.Single(problem.GetProperty("invalidItems").EnumerateArray());
        Assert.Equal(1, invalid.GetProperty("index").GetInt32());
        Assert.False(invalid.TryGetProperty("line", out _), "JSON items have an index, no line");
        Assert.Equal(field, invalid.GetProperty("field").GetString());
        Assert.Equal(reason, invalid.GetProperty("reason").GetString());
        Assert.Equal(value, invalid.TryGetProperty("value", out var echoed) ? echoed.GetString() : null);
        Assert.Equal(before, await PriceCountAsync(api.ConnectionString));
        Assert.Equal(0, await BatchCountAsync(api.ConnectionString, id));
    }

    public static TheoryData<string, string, string, string?> InvalidCsvLines => new()
    {
        { "ZZZZZ,NLRTM,2031-03-01,1200", "orig_code", "unknown port code", "ZZZZZ" },
        { "CNSGH, NLRTM,2031-03-01,1200", "dest_code", "unknown port code", " NLRTM" },
        { "CNSGH,NLRTM,2031-13-01,1200", "day", "bad date", "2031-13-01" },
        { "CNSGH,NLRTM,01/03/2031,1200", "day", "bad date", "01/03/2031" },
        { "CNSGH,NLRTM,2031-03-01,0", "price", "non-positive price", "0" },
        { "CNSGH,NLRTM,2031-03-01,-7", "price", "non-positive price", "-7" },
        { "CNSGH,NLRTM,2031-03-01,99.99", "price", "non-integer price", "99.99" },
        { "CNSGH,NLRTM,2031-03-01,12abc", "price", "not a number", "12abc" },
        { "CNSGH,NLRTM,2031-03-01,", "price", "missing field", null },
        { ",NLRTM,2031-03-01,1200", "orig_code", "missing field", null },
        { "CNSGH,NLRTM,,1200", "day", "missing field", null },
    };

    [Theory]
    [MemberData(nameof(InvalidCsvLines))]
    public async Task Each_invalid_csv_item_class_answers_422_naming_line_field_and_reason(string line, string field, string reason, string? value)
    {
        var api = await ApiAsync();
        var before = await PriceCountAsync(api.ConnectionString);

        using var response = await api.Client.PutAsync($"/batches/invalid-csv-{Guid.NewGuid():N}", Content(Csv(GoodCsv, line, GoodCsv), "text/csv"));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(1, problem.GetProperty("invalidCount").GetInt32());
        var invalid = Assert.Single(problem.GetProperty("invalidItems").EnumerateArray());
        Assert.Equal(1, invalid.GetProperty("index").GetInt32());
        Assert.Equal(3, invalid.GetProperty("line").GetInt64()); // the header is line 1
        Assert.Equal(field, invalid.GetProperty("field").GetString());
        Assert.Equal(reason, invalid.GetProperty("reason").GetString());
        Assert.Equal(value, invalid.TryGetProperty("value", out var echoed) ? echoed.GetString() : null);
        Assert.Equal(before, await PriceCountAsync(api.ConnectionString));
    }

    [Fact]
    public async Task An_item_with_several_problems_lists_each_and_counts_once()
    {
        var api = await ApiAsync();
        using var response = await api.Client.PutAsync(
            $"/batches/several-{Guid.NewGuid():N}",
            Content(Json(GoodJson, """{"price": 0.5, "day": "2031-02-29", "dest_code": "ZZQQQ", "orig_code": "ZZWWW"}""", "7"), "application/json"));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(2, problem.GetProperty("invalidCount").GetInt32());
        var invalid = problem.GetProperty("invalidItems").EnumerateArray()
            .Select(p => (p.GetProperty("index").GetInt32(), p.GetProperty("field").GetString(), p.GetProperty("reason").GetString()))
            .ToArray();
        Assert.Equal(
            [
                (1, "orig_code", "unknown port code"),
                (1, "dest_code", "unknown port code"),
                (1, "day", "bad date"),
                (1, "price", "non-integer price"),
                (2, null, "not an object"),
            ],
            invalid);
    }

    [Theory]
    [InlineData(BatchFormat.Json)]
    [InlineData(BatchFormat.Csv)]
    public async Task A_synthetic_batch_with_many_invalid_items_lists_the_first_100_and_counts_all(BatchFormat format)
    {
        var api = await ApiAsync();
        var spec = new BatchSpec { Items = 2_000, InvalidRatio = 0.1, Format = format, Seed = 11, StartDay = new DateOnly(2031, 6, 1) };
        var (body, summary) = await SyntheticAsync(spec);
        var before = await PriceCountAsync(api.ConnectionString);

        using var response = await api.Client.PutAsync($"/batches/synthetic-invalid-{format}", Content(body, spec));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(summary.InvalidItems, problem.GetProperty("invalidCount").GetInt32());
        Assert.Equal(2_000, problem.GetProperty("items").GetInt32());
        var listed = problem.GetProperty("invalidItems").EnumerateArray().ToArray();
        Assert.Equal(100, listed.Length);

        // The generator breaks each invalid item in exactly one field: the answer lists the same items, in order.
        var expected = summary.FirstInvalidItems.Select(i => (i.Index, i.Field, Reason(i.Kind))).ToArray();
        var actual = listed.Select(p => (p.GetProperty("index").GetInt32(), p.GetProperty("field").GetString()!, p.GetProperty("reason").GetString()!)).ToArray();
        Assert.Equal(expected, actual);
        if (format == BatchFormat.Csv)
        {
            Assert.All(listed, p => Assert.Equal(p.GetProperty("index").GetInt32() + 2, p.GetProperty("line").GetInt64()));
        }

        Assert.Equal(before, await PriceCountAsync(api.ConnectionString));
    }

    [Fact]
    public async Task One_bad_item_among_50000_leaves_prices_unchanged()
    {
        var api = await ApiAsync();
        // One invalid item in 50,000: the generator's first kind, an unknown port code, found by the database.
        var spec = new BatchSpec { Items = 50_000, InvalidRatio = 1.0 / 50_000, Format = BatchFormat.Json, Seed = 12, StartDay = new DateOnly(2031, 7, 1) };
        var (body, summary) = await SyntheticAsync(spec);
        Assert.Equal(1, summary.InvalidItems);
        var before = await PriceCountAsync(api.ConnectionString);

        using var response = await api.Client.PutAsync("/batches/one-bad-in-50k", Content(body, spec));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(1, problem.GetProperty("invalidCount").GetInt32());
        var invalid = Assert.Single(problem.GetProperty("invalidItems").EnumerateArray());
        Assert.Equal(summary.FirstInvalidItems[0].Index, invalid.GetProperty("index").GetInt32());
        Assert.Equal("unknown port code", invalid.GetProperty("reason").GetString());
        Assert.Equal(before, await PriceCountAsync(api.ConnectionString));
        Assert.Equal(0, await BatchCountAsync(api.ConnectionString, "one-bad-in-50k"));

        // The same id is still free: once fixed, the batch goes in.
        using var fixedBatch = await api.Client.PutAsync("/batches/one-bad-in-50k", Content((await SyntheticAsync(spec with { InvalidRatio = 0 })).Body, spec));
        await BatchAnswers.SuccessAsync(fixedBatch, HttpStatusCode.Created);
        Assert.Equal(before + 50_000, await PriceCountAsync(api.ConnectionString));
    }

    private static string Reason(InvalidItemKind kind) => kind switch
    {
        InvalidItemKind.UnknownPortCode => "unknown port code",
        InvalidItemKind.BadDate => "bad date",
        InvalidItemKind.NonPositivePrice => "non-positive price",
        InvalidItemKind.NonIntegerPrice => "non-integer price",
        InvalidItemKind.MissingField => "missing field",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
