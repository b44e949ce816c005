using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rates.Api.Tests.Infrastructure;
using Rates.Synthetic;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests.Batches;

/// <summary>Each answer of PUT and GET /batches/{id} except the invalid-item ones (see BatchValidationTests).</summary>
[Collection(PostgresCollection.Name)]
public sealed class BatchOutcomeTests(PostgresFixture postgres)
{
    private static int _committedBatchDay;

    private const string Json = "application/json";
    private const string Csv = "text/csv";

    private Task<BatchApi> ApiAsync() => BatchApi.SharedAsync(postgres, "batch-outcomes");

    private static string RatesUrl(string orig, string dest, DateOnly from, DateOnly to) =>
        $"/rates?date_from={from:yyyy-MM-dd}&date_to={to:yyyy-MM-dd}&orig_code={orig}&dest_code={dest}";

    [Theory]
    [InlineData(Json)]
    [InlineData(Csv)]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("text/csv; charset=UTF-8")]
    public async Task A_valid_batch_is_committed_and_visible_to_rates(string mediaType)
    {
        var api = await ApiAsync();
        // A day of its own per case, in a year no other batch test writes, so the counts below are this batch's only.
        var day = new DateOnly(2045, 1, 1).AddDays(Interlocked.Increment(ref _committedBatchDay));
        var items = Lane(Shanghai, Rotterdam, day, 3).Concat(Lane(Shanghai, Hamburg, day, 2)).ToArray();
        var body = mediaType.StartsWith(Csv, StringComparison.Ordinal) ? BatchBodies.Csv(items) : BatchBodies.Json(items);
        var id = $"commit-{Guid.NewGuid():N}";
        var before = await PriceCountAsync(api.ConnectionString);

        using var response = await api.Client.PutAsync($"/batches/{id}", Content(body, mediaType));

        var receipt = await BatchAnswers.SuccessAsync(response, HttpStatusCode.Created);
        Assert.Equal(id, receipt.GetProperty("batchId").GetString());
        Assert.Equal(5, receipt.GetProperty("items").GetInt32());
        var receivedAt = receipt.GetProperty("receivedAt").GetDateTimeOffset();
        var committedAt = receipt.GetProperty("committedAt").GetDateTimeOffset();
        Assert.True(committedAt >= receivedAt, "committed after received");
        Assert.Equal($"/batches/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(before + 5, await PriceCountAsync(api.ConnectionString));
        Assert.Equal(5, await BatchRowsAsync(api.ConnectionString, id));

        using var rates = await api.Client.GetAsync(RatesUrl(Shanghai, Rotterdam, day, day));
        var day1 = (await BatchAnswers.JsonAsync(rates)).GetProperty("rates")[0];
        Assert.Equal(3, day1.GetProperty("count").GetInt32());
        Assert.Equal(101.0, day1.GetProperty("price").GetDouble(), 1e-9); // (100 + 101 + 102) / 3

        using var status = await api.Client.GetAsync($"/batches/{id}");
        var batch = await BatchAnswers.SuccessAsync(status, HttpStatusCode.OK);
        Assert.Equal(id, batch.GetProperty("batchId").GetString());
        Assert.Equal("committed", batch.GetProperty("status").GetString());
        Assert.Equal(5, batch.GetProperty("items").GetInt32());
        Assert.Equal(receivedAt, batch.GetProperty("receivedAt").GetDateTimeOffset());
        Assert.Equal(committedAt, batch.GetProperty("committedAt").GetDateTimeOffset());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))), batch.GetProperty("contentSha256").GetString());
    }

    [Fact]
    public async Task Sending_the_same_batch_again_answers_200_with_the_same_receipt_and_writes_nothing()
    {
        var api = await ApiAsync();
        var body = BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2032, 5, 1), 4));
        var id = $"replay-{Guid.NewGuid():N}";

        using var first = await api.Client.PutAsync($"/batches/{id}", Content(body, Json));
        var created = await BatchAnswers.SuccessAsync(first, HttpStatusCode.Created);
        var count = await PriceCountAsync(api.ConnectionString);

        using var again = await api.Client.PutAsync($"/batches/{id}", Content(body, Json));
        var replayed = await BatchAnswers.SuccessAsync(again, HttpStatusCode.OK);

        // The same content compressed is the same content.
        using var gzipped = await api.Client.PutAsync($"/batches/{id}", Content(Gzip(body), Json, "gzip"));
        var replayedGzip = await BatchAnswers.SuccessAsync(gzipped, HttpStatusCode.OK);

        Assert.Equal(created.GetRawText(), replayed.GetRawText());
        Assert.Equal(created.GetRawText(), replayedGzip.GetRawText());
        Assert.Equal(count, await PriceCountAsync(api.ConnectionString));
        Assert.Equal(1, await BatchCountAsync(api.ConnectionString, id));
    }

    [Fact]
    public async Task The_same_id_with_other_content_answers_409_and_writes_nothing()
    {
        var api = await ApiAsync();
        var id = $"conflict-{Guid.NewGuid():N}";
        using var first = await api.Client.PutAsync($"/batches/{id}", Content(BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2032, 6, 1), 2)), Json));
        await BatchAnswers.SuccessAsync(first, HttpStatusCode.Created);
        var count = await PriceCountAsync(api.ConnectionString);

        using var other = await api.Client.PutAsync($"/batches/{id}", Content(BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2032, 6, 2), 2)), Json));

        var problem = await BatchAnswers.ProblemAsync(other, HttpStatusCode.Conflict);
        Assert.Contains(id, problem.GetProperty("detail").GetString());
        Assert.Equal(id, problem.GetProperty("batchId").GetString());
        Assert.Equal(count, await PriceCountAsync(api.ConnectionString));
    }

    [Theory]
    [InlineData(Json)]
    [InlineData(Csv)]
    public async Task A_gzip_body_is_committed(string mediaType)
    {
        var api = await ApiAsync();
        var items = Lane(Shanghai, Hamburg, new DateOnly(2032, 7, 1), 10);
        var body = mediaType == Csv ? BatchBodies.Csv(items) : BatchBodies.Json(items);
        var before = await PriceCountAsync(api.ConnectionString);

        using var response = await api.Client.PutAsync($"/batches/gzip-{Guid.NewGuid():N}", Content(Gzip(body), mediaType, "gzip"));

        var receipt = await BatchAnswers.SuccessAsync(response, HttpStatusCode.Created);
        Assert.Equal(10, receipt.GetProperty("items").GetInt32());
        Assert.Equal(before + 10, await PriceCountAsync(api.ConnectionString));
    }

    [Fact]
    public async Task A_synthetic_csv_batch_of_50000_items_is_committed_whole()
    {
        var api = await ApiAsync();
        var spec = new BatchSpec { Items = 50_000, Format = BatchFormat.Csv, Gzip = true, Seed = 7, StartDay = new DateOnly(2033, 1, 1) };
        var (body, summary) = await SyntheticAsync(spec);
        var before = await PriceCountAsync(api.ConnectionString);

        using var response = await api.Client.PutAsync("/batches/synthetic-csv-50k", Content(body, spec));

        var receipt = await BatchAnswers.SuccessAsync(response, HttpStatusCode.Created);
        Assert.Equal(50_000, receipt.GetProperty("items").GetInt32());
        Assert.Equal(before + 50_000, await PriceCountAsync(api.ConnectionString));
        using var status = await api.Client.GetAsync("/batches/synthetic-csv-50k");
        Assert.Equal(summary.UncompressedSha256, (await BatchAnswers.SuccessAsync(status, HttpStatusCode.OK)).GetProperty("contentSha256").GetString());
    }

    [Fact]
    public async Task A_body_without_items_answers_422()
    {
        var api = await ApiAsync();
        foreach (var (body, mediaType) in new[] { ("{\"prices\": []}", Json), (BatchBodies.CsvHeader + "\n", Csv) })
        {
            using var response = await api.Client.PutAsync($"/batches/empty-{Guid.NewGuid():N}", Content(body, mediaType));
            var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
            Assert.Equal("The batch has no items; nothing was written.", problem.GetProperty("detail").GetString());
            Assert.Equal(0, problem.GetProperty("invalidCount").GetInt32());
        }
    }

    public static TheoryData<string, string> MalformedJson => new()
    {
        // body, the start of the detail: where (1-based) and what
        { "{\"prices\": [{\"orig_code\": \"CNSGH\",}]}", "Line 1, position 35: not valid JSON: The JSON object contains a trailing comma" },
        { "{\"prices\": [\n  {\"orig_code\": \"CNSGH\", \"dest_code\": \"NLRTM\", \"day\": \"2031-01-01\", \"price\": 5},\n  {\"orig_code\": CNSGH}\n]}", "Line 3, position 17: not valid JSON: 'C' is an invalid start of a value." },
        { "{\"prices\": [{\"orig_code\": \"CNSGH\"", "Line 1, position 34: not valid JSON: Expected depth to be zero" },
        { "[{\"orig_code\": \"CNSGH\"}]", "Line 1, position 1: the body is not a JSON object." },
        { "{\"items\": []}", "Line 1, position 13: the JSON body has no \"prices\" member." },
        { "{\"prices\": {}}", "Line 1, position 12: \"prices\" must be an array." },
        { "{\"prices\": [], \"prices\": []}", "Line 1, position 16: the JSON body has more than one \"prices\" member." },
        { "{\"prices\": []} {\"prices\": []}", "Line 1, position 16: not valid JSON: '{' is invalid after a single JSON value." },
        { "", "Line 1, position 1: the body is empty." },
        { " \n ", "Line 1, position 1: the body is empty." },
        { "\"prices\"", "Line 1, position 1: the body is not a JSON object." },
    };

    [Theory]
    [MemberData(nameof(MalformedJson))]
    public async Task Malformed_json_answers_400_with_line_and_position_and_writes_nothing(string body, string detail)
    {
        var api = await ApiAsync();
        var before = await PriceCountAsync(api.ConnectionString);
        var id = $"bad-json-{Guid.NewGuid():N}";

        using var response = await api.Client.PutAsync($"/batches/{id}", Content(body, Json));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith(detail, problem.GetProperty("detail").GetString());
        Assert.EndsWith("Nothing was written.", problem.GetProperty("detail").GetString());
        Assert.True(problem.TryGetProperty("line", out _), "the problem names the line");
        Assert.True(problem.TryGetProperty("position", out _), "the problem names the position");
        Assert.Equal(before, await PriceCountAsync(api.ConnectionString));
        Assert.Equal(0, await BatchCountAsync(api.ConnectionString, id));
    }

    public static TheoryData<string, string> MalformedCsv => new()
    {
        // body, the start of the detail: where (1-based) and what
        { "", "Line 1, position 1: the body is empty. A CSV batch starts with the header line orig_code,dest_code,day,price." },
        { "orig,dest,day,price\nCNSGH,NLRTM,2031-01-01,5\n", "Line 1: the first line must be the CSV header orig_code,dest_code,day,price (columns in any order), but it is 'orig,dest,day,price'." },
        { "orig_code,dest_code,day\n", "Line 1: the first line must be the CSV header" },
        { "orig_code,orig_code,day,price\n", "Line 1: the first line must be the CSV header" },
        { "orig_code,dest_code,day,price\nCNSGH,NLRTM,2031-01-01,5\nCNSGH,NLRTM,2031-01-01\n", "Line 3: 3 field(s); every line has 4 (orig_code,dest_code,day,price)" },
        { "orig_code,dest_code,day,price\r\nCNSGH,NLRTM,2031-01-01,5,6\r\n", "Line 2: 5 field(s)" },
        { "orig_code,dest_code,day,price\nCNSGH,NLRTM,2031-01-01,5\n\"CNSGH,NLRTM,2031-01-01,5\n", "Line 3: a quoted field is not closed" },
        { "orig_code,dest_code,day,price\nCN\"SGH,NLRTM,2031-01-01,5\"\n", "Line 2, position 3: a double quote inside an unquoted field" },
        { "orig_code,dest_code,day,price\n\"CNSGH\"x,NLRTM,2031-01-01,5\n", "Line 2, position 8: a closing double quote must be followed by a comma" },
    };

    [Theory]
    [MemberData(nameof(MalformedCsv))]
    public async Task Malformed_csv_answers_400_with_the_line_and_writes_nothing(string body, string detail)
    {
        var api = await ApiAsync();
        var before = await PriceCountAsync(api.ConnectionString);

        using var response = await api.Client.PutAsync($"/batches/bad-csv-{Guid.NewGuid():N}", Content(body, Csv));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith(detail, problem.GetProperty("detail").GetString());
        Assert.Equal(long.Parse(detail.Split(':', ',')[0]["Line ".Length..], CultureInfo.InvariantCulture), problem.GetProperty("line").GetInt64());
        Assert.Equal(before, await PriceCountAsync(api.ConnectionString));
    }

    [Fact]
    public async Task Csv_fields_may_be_quoted_and_lines_may_end_with_crlf()
    {
        var api = await ApiAsync();
        var body = "\uFEFFday,price,orig_code,dest_code\r\n\"2032-08-01\",\"7\",\"CNSGH\",NLRTM\r\n\r\n2032-08-01,8,CNSGH,\"NLRTM\"";

        using var response = await api.Client.PutAsync($"/batches/quoted-{Guid.NewGuid():N}", Content(body, Csv));

        Assert.Equal(2, (await BatchAnswers.SuccessAsync(response, HttpStatusCode.Created)).GetProperty("items").GetInt32());
        using var rates = await api.Client.GetAsync(RatesUrl(Shanghai, Rotterdam, new DateOnly(2032, 8, 1), new DateOnly(2032, 8, 1)));
        Assert.Equal(2, (await BatchAnswers.JsonAsync(rates)).GetProperty("rates")[0].GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_body_that_is_not_gzip_answers_400()
    {
        var api = await ApiAsync();
        using var response = await api.Client.PutAsync($"/batches/not-gzip-{Guid.NewGuid():N}", Content(Encoding.UTF8.GetBytes("{\"prices\": []}"), Json, "gzip"));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("not valid gzip", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("text/plain", null, "'text/plain' is not supported")]
    [InlineData("application/xml", null, "'application/xml' is not supported")]
    [InlineData("application/json; charset=iso-8859-1", null, "charset 'iso-8859-1' is not supported")]
    [InlineData(null, null, "no Content-Type")]
    [InlineData("application/json", "br", "Content-Encoding 'br' is not supported")]
    [InlineData("text/csv", "gzip, deflate", "Content-Encoding 'gzip, deflate' is not supported")]
    public async Task Another_media_type_or_encoding_answers_415(string? mediaType, string? encoding, string phrase)
    {
        var api = await ApiAsync();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2032, 9, 1), 1))));
        if (mediaType is not null)
        {
            content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(mediaType);
        }

        if (encoding is not null)
        {
            foreach (var coding in encoding.Split(", "))
            {
                content.Headers.ContentEncoding.Add(coding);
            }
        }

        using var response = await api.Client.PutAsync($"/batches/media-{Guid.NewGuid():N}", content);

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains(phrase, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("has%20space")]
    [InlineData("semi;colon")]
    [InlineData("%C3%A4")]
    [InlineData("a%2Fb")]
    [InlineData("line%0Abreak")]
    public async Task An_invalid_batch_id_answers_400(string id)
    {
        var api = await ApiAsync();
        using var put = await api.Client.PutAsync($"/batches/{id}", Content(BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2032, 9, 2), 1)), Json));
        var problem = await BatchAnswers.ProblemAsync(put, HttpStatusCode.BadRequest);
        Assert.Contains("is not a valid batch id", problem.GetProperty("detail").GetString());

        using var get = await api.Client.GetAsync($"/batches/{id}");
        await BatchAnswers.ProblemAsync(get, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_id_of_101_characters_answers_400_and_one_of_100_is_accepted()
    {
        var api = await ApiAsync();
        var body = BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2032, 9, 3), 1));

        using var tooLong = await api.Client.PutAsync($"/batches/{new string('x', 101)}", Content(body, Json));
        await BatchAnswers.ProblemAsync(tooLong, HttpStatusCode.BadRequest);

        var id = "A-z_0.9" + new string('y', 93);
        using var longest = await api.Client.PutAsync($"/batches/{id}", Content(body, Json));
        await BatchAnswers.SuccessAsync(longest, HttpStatusCode.Created);
    }

    [Fact]
    public async Task An_unknown_batch_answers_404()
    {
        var api = await ApiAsync();
        using var response = await api.Client.GetAsync("/batches/never-sent");

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("No batch 'never-sent' has been committed.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task More_items_than_the_maximum_answers_413_and_writes_nothing()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-limits", ("Batches:MaxItems", "10"));
        var before = await PriceCountAsync(api.ConnectionString);

        using (var atLimit = await api.Client.PutAsync($"/batches/ten-{Guid.NewGuid():N}", Content(BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2032, 10, 1), 10)), Json)))
        {
            await BatchAnswers.SuccessAsync(atLimit, HttpStatusCode.Created);
        }

        foreach (var body in new[] { BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2032, 10, 2), 11)), BatchBodies.Csv(Lane(Shanghai, Rotterdam, new DateOnly(2032, 10, 2), 5000)) })
        {
            var mediaType = body.StartsWith('{') ? Json : Csv;
            using var response = await api.Client.PutAsync($"/batches/eleven-{Guid.NewGuid():N}", Content(body, mediaType));
            var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
            Assert.Contains("more than 10 items (Batches:MaxItems)", problem.GetProperty("detail").GetString());
            Assert.Equal(10, problem.GetProperty("maxItems").GetInt32());
        }

        Assert.Equal(before + 10, await PriceCountAsync(api.ConnectionString));
    }

    [Fact]
    public async Task A_body_over_the_byte_limit_answers_413_counting_decompressed_bytes()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-bytes", ("Batches:MaxBodyBytes", "2048"));
        var small = BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2032, 10, 3), 5));
        var large = BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2032, 10, 3), 100));
        Assert.True(Gzip(large).Length < 2048, "compressed, the large body is within the limit on the wire");

        using (var fits = await api.Client.PutAsync($"/batches/small-{Guid.NewGuid():N}", Content(small, Json)))
        {
            await BatchAnswers.SuccessAsync(fits, HttpStatusCode.Created);
        }

        using var response = await api.Client.PutAsync($"/batches/bytes-{Guid.NewGuid():N}", Content(Gzip(large), Json, "gzip"));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.StartsWith("The batch body is larger than 2048 bytes (Batches:MaxBodyBytes, counted after decompression).", problem.GetProperty("detail").GetString());
        Assert.Equal(2048, problem.GetProperty("maxBodyBytes").GetInt64());
    }
}
