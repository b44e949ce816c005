using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text;
using Rates.Api.Tests.Infrastructure;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests.Batches;

/// <summary>
/// Bodies made to cost the service: broken or padded gzip, a sea of blank lines, dates PostgreSQL would turn
/// into infinity. Each is refused early, with a 4xx naming the problem, and writes nothing.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BatchHostileBodyTests(PostgresFixture postgres)
{
    private const string Json = "application/json";

    private static string ValidBody(int month) => BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2040, month, 1), 20));

    [Fact]
    public async Task A_gzip_body_missing_its_last_bytes_is_answered_400()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-hostile");
        var gzip = Gzip(ValidBody(1));
        foreach (var missing in new[] { 1, 4, 8, 20 })
        {
            var id = $"truncated-{missing}";
            using var response = await api.Client.PutAsync($"/batches/{id}", Content(gzip[..^missing], Json, "gzip"));
            var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.Contains("not valid gzip", problem.GetProperty("detail").GetString());
            Assert.Equal(0, await BatchCountAsync(api.ConnectionString, id));
        }
    }

    [Fact]
    public async Task A_gzip_body_with_data_after_its_end_is_answered_400()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-hostile");
        var gzip = Gzip(ValidBody(2));
        var junk = Encoding.ASCII.GetBytes("trailing junk");
        var secondMember = Gzip(ValidBody(3));
        foreach (var (name, tail) in new[] { ("junk", junk), ("member", secondMember), ("zeros", new byte[8]) })
        {
            var id = $"trailing-{name}";
            using var response = await api.Client.PutAsync($"/batches/{id}", Content([.. gzip, .. tail], Json, "gzip"));
            await BatchAnswers.ProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.Equal(0, await BatchCountAsync(api.ConnectionString, id));
        }

        // The same body, whole and alone, is fine.
        using var whole = await api.Client.PutAsync("/batches/trailing-none", Content(gzip, Json, "gzip"));
        await BatchAnswers.SuccessAsync(whole, HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_gzip_bomb_is_refused_413_once_it_inflates_past_the_ratio()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-hostile");

        // A CSV header, then 2 GB of blank lines: about 2 MB compressed.
        var bomb = GzipOf(stream =>
        {
            stream.Write(Encoding.ASCII.GetBytes(CsvHeader + "\n"));
            var blank = new byte[1024 * 1024];
            Array.Fill(blank, (byte)'\n');
            for (var i = 0; i < 2048; i++)
            {
                stream.Write(blank);
            }
        });

        var stopwatch = Stopwatch.StartNew();
        using var response = await api.Client.PutAsync("/batches/bomb", Content(bomb, "text/csv", "gzip"));
        stopwatch.Stop();
        var status = response.StatusCode;
        Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"answered {(int)status}");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"refused after {stopwatch.Elapsed}, not after inflating it all");
        Assert.Equal(0, await BatchCountAsync(api.ConnectionString, "bomb"));
    }

    [Fact]
    public async Task Padding_that_inflates_past_the_ratio_is_refused_413_naming_the_setting()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-hostile-ratio", ("Batches:MaxCompressionRatio", "10"));

        // Valid JSON all along: items with 64 KB of spaces between them compress far better than 10:1.
        var padded = BatchBodies.Json(Lane(Shanghai, Rotterdam, new DateOnly(2040, 4, 1), 40).Select(i => new string(' ', 60_000) + JsonItem(i.Orig, i.Dest, i.Day, i.Price)));
        using var response = await api.Client.PutAsync("/batches/padded", Content(Gzip(padded), Json, "gzip"));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("Batches:MaxCompressionRatio", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Blank_lines_count_against_the_body_and_end_it_early()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-hostile");
        var body = CsvHeader + "\n" + new string('\n', 300_000) + CsvLine(Shanghai, Rotterdam, new DateOnly(2040, 5, 1), 100) + "\n";
        using var response = await api.Client.PutAsync("/batches/blank-lines", Content(body, "text/csv"));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("bytes per item", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await BatchCountAsync(api.ConnectionString, "blank-lines"));
    }

    [Theory]
    [InlineData("0001-01-01")]
    [InlineData("9999-12-31")]
    [InlineData("1899-12-31")]
    [InlineData("3000-01-01")]
    public async Task A_day_outside_1900_to_2999_makes_the_item_invalid(string day)
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-hostile");
        var id = $"day-{day}";
        var body = BatchBodies.Json(
            JsonItem(Shanghai, Rotterdam, new DateOnly(2040, 6, 1), 100),
            $$"""{"orig_code": "{{Shanghai}}", "dest_code": "{{Rotterdam}}", "day": "{{day}}", "price": 100}""");
        using var response = await api.Client.PutAsync($"/batches/{id}", Content(body, Json));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var item = problem.GetProperty("invalidItems")[0];
        Assert.Equal(1, item.GetProperty("index").GetInt32());
        Assert.Equal("day", item.GetProperty("field").GetString());
        Assert.Contains("1900-01-01 to 2999-12-31", problem.GetProperty("detail").GetString());
        Assert.Equal(0L, await TestData.ScalarAsync<long>(api.ConnectionString, "SELECT count(*) FROM public.prices WHERE NOT isfinite(day)"));
    }

    [Theory]
    [InlineData("0001-01-01", "2021-01-01")]
    [InlineData("2021-01-01", "9999-12-31")]
    [InlineData("1899-12-31", "1900-01-01")]
    [InlineData("2999-12-31", "3000-01-01")]
    public async Task Rates_outside_1900_to_2999_are_answered_400(string from, string to)
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-hostile");
        using var response = await api.Client.GetAsync($"/rates?date_from={from}&date_to={to}&orig_code={Shanghai}&dest_code={Rotterdam}");

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("Invalid date arguments", problem.GetProperty("detail").GetString());
    }

    private static byte[] GzipOf(Action<Stream> write)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            write(gzip);
        }

        return output.ToArray();
    }
}
