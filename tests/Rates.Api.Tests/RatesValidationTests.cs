using System.Net;
using System.Text.Json;
using Rates.Api.Tests.Infrastructure;

namespace Rates.Api.Tests;

/// <summary>Every class of bad input to GET /rates answers 400 problem+json naming the offending parameters; none answers 500.</summary>
[Collection(PostgresCollection.Name)]
public sealed class RatesValidationTests(PostgresFixture postgres)
{
    private const string GoodDates = "date_from=2030-03-01&date_to=2030-03-02";
    private const string GoodCodes = "orig_code=TSTAA&dest_code=TSTBB";

    public static TheoryData<string> BadDates => new()
    {
        "2021-02-30",
        "2021-02-29",
        "2021-13-01",
        "2021-00-10",
        "2021-01-00",
        "2021-01-32",
        "0000-01-01",
        "21-01-01",
        "202-01-01",
        "20210-01-01",
        "2021-001-01",
        "2021-01-001",
        "2021-01-01T00:00",
        "2021-01-01 00:00:00",
        " 2021-01-01",
        "2021-01-01 ",
        "2021-01-01\n",
        "2021/01/01",
        "2021.01.01",
        "01-01-2021",
        "2021-1",
        "２０２１-01-01",
        "",
        "abc",
        "null",
        "-2021-01-01",
        "+2021-01-01",
        "2021-01-01' OR '1'='1",
        "2021-01-01'; DROP TABLE public.prices; --",
        "2021-01-01\0",
    };

    private Task<RatesApiFactory> Api() => postgres.SharedAsync(nameof(RatesValidationTests), async () =>
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync("validation");
        await TestData.InsertRulesDataAsync(connectionString);
        return new RatesApiFactory(connectionString, ("Rates:MaxRangeDays", "10"));
    });

    private async Task<(HttpStatusCode Status, string? MediaType, JsonElement Body)> GetAsync(string query)
    {
        var client = (await Api()).CreateClient();
        using var response = await client.GetAsync("/rates?" + query);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, document.RootElement.Clone());
    }

    private static void AssertProblem((HttpStatusCode Status, string? MediaType, JsonElement Body) answer, string detail, params string[] parameters)
    {
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("application/problem+json", answer.MediaType);
        Assert.Equal(400, answer.Body.GetProperty("status").GetInt32());
        Assert.Equal(detail, answer.Body.GetProperty("detail").GetString());
        Assert.Equal(parameters, answer.Body.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()));
    }

    [Theory]
    [MemberData(nameof(BadDates))]
    public async Task A_bad_date_from_is_invalid_date_arguments(string date)
    {
        var answer = await GetAsync($"date_from={Uri.EscapeDataString(date)}&date_to=2030-03-02&{GoodCodes}");

        AssertProblem(answer, "Invalid date arguments", "date_from");
    }

    [Theory]
    [MemberData(nameof(BadDates))]
    public async Task A_bad_date_to_is_invalid_date_arguments(string date)
    {
        var answer = await GetAsync($"date_from=2030-03-01&date_to={Uri.EscapeDataString(date)}&{GoodCodes}");

        AssertProblem(answer, "Invalid date arguments", "date_to");
    }

    [Fact]
    public async Task A_ten_thousand_character_date_is_invalid_date_arguments()
    {
        var answer = await GetAsync($"date_from={new string('9', 10_000)}&date_to=2030-03-02&{GoodCodes}");

        AssertProblem(answer, "Invalid date arguments", "date_from");
    }

    [Theory]
    [InlineData("date_to=2030-03-02&" + GoodCodes, new[] { "date_from" })]
    [InlineData("date_from=2030-03-01&" + GoodCodes, new[] { "date_to" })]
    [InlineData(GoodCodes, new[] { "date_from", "date_to" })]
    [InlineData("", new[] { "date_from", "date_to" })]
    [InlineData("date_from&date_to&" + GoodCodes, new[] { "date_from", "date_to" })]
    [InlineData("DATE_FROM_X=2030-03-01&date_to=2030-03-02&" + GoodCodes, new[] { "date_from" })]
    public async Task Missing_dates_are_invalid_date_arguments(string query, string[] parameters)
    {
        AssertProblem(await GetAsync(query), "Invalid date arguments", parameters);
    }

    [Theory]
    [InlineData(GoodDates + "&dest_code=TSTBB", new[] { "orig_code" })]
    [InlineData(GoodDates + "&orig_code=TSTAA", new[] { "dest_code" })]
    [InlineData(GoodDates, new[] { "orig_code", "dest_code" })]
    [InlineData(GoodDates + "&orig_code=&dest_code=TSTBB", new[] { "orig_code" })]
    [InlineData(GoodDates + "&orig_code=TSTAA&dest_code=", new[] { "dest_code" })]
    [InlineData(GoodDates + "&orig_code&dest_code", new[] { "orig_code", "dest_code" })]
    [InlineData(GoodDates + "&orig_code=TST%00AA&dest_code=TSTBB", new[] { "orig_code" })]
    public async Task Missing_or_empty_codes_are_invalid_location_arguments(string query, string[] parameters)
    {
        AssertProblem(await GetAsync(query), "Invalid location arguments", parameters);
    }

    [Fact]
    public async Task Dates_are_checked_before_locations()
    {
        AssertProblem(await GetAsync("date_from=2021-02-30&date_to=2030-03-02"), "Invalid date arguments", "date_from");
    }

    [Fact]
    public async Task Locations_are_checked_even_when_date_from_is_after_date_to()
    {
        AssertProblem(await GetAsync("date_from=2030-03-05&date_to=2030-03-01&orig_code=TSTAA"), "Invalid location arguments", "dest_code");
    }

    [Fact]
    public async Task A_range_at_the_limit_is_answered()
    {
        var answer = await GetAsync($"date_from=2030-03-01&date_to=2030-03-10&{GoodCodes}");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(10, answer.Body.GetProperty("rates").GetArrayLength());
    }

    [Fact]
    public async Task A_range_longer_than_the_limit_is_refused_naming_the_limit()
    {
        var answer = await GetAsync($"date_from=2030-03-01&date_to=2030-03-11&{GoodCodes}");

        AssertProblem(answer, "Date range too long: 11 days requested, at most 10 days are allowed.", "date_from", "date_to");
        Assert.Equal(10, answer.Body.GetProperty("maxRangeDays").GetInt32());
    }

    [Fact]
    public async Task The_widest_possible_range_is_refused_without_an_error()
    {
        AssertProblem(
            await GetAsync($"date_from=1900-01-01&date_to=2999-12-31&{GoodCodes}"),
            "Date range too long: 401767 days requested, at most 10 days are allowed.",
            "date_from",
            "date_to");
    }

    [Fact]
    public async Task An_unknown_path_answers_404_problem_json()
    {
        var client = (await Api()).CreateClient();
        using var response = await client.GetAsync("/no-such-thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
