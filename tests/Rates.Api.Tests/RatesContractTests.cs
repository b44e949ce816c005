using System.Net;
using System.Text.Json;
using Rates.Api.Tests.Infrastructure;

namespace Rates.Api.Tests;

/// <summary>The answers of GET /rates on handcrafted data: every rule of the original contract.</summary>
[Collection(PostgresCollection.Name)]
public sealed class RatesContractTests(PostgresFixture postgres)
{
    private Task<RatesApiFactory> Api() => postgres.SharedAsync(nameof(RatesContractTests), async () =>
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync("rules");
        await TestData.InsertRulesDataAsync(connectionString);
        return new RatesApiFactory(connectionString);
    });

    private async Task<string> GetTextAsync(string url)
    {
        var client = (await Api()).CreateClient();
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<JsonElement[]> GetRatesAsync(string url)
    {
        using var document = JsonDocument.Parse(await GetTextAsync(url));
        return document.RootElement.GetProperty("rates").EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    [Fact]
    public async Task Answers_one_element_per_day_newest_first_with_the_null_rules_as_exact_json()
    {
        var text = await GetTextAsync("/rates?date_from=2030-03-01&date_to=2030-03-05&orig_code=TSTAA&dest_code=TSTBB");

        Assert.Equal(
            """{"rates":[""" +
            """{"count":4,"day":"2030-03-05","price":25.25},""" +
            """{"count":1,"day":"2030-03-04","price":null},""" +
            """{"count":null,"day":"2030-03-03","price":null},""" +
            """{"count":2,"day":"2030-03-02","price":null},""" +
            """{"count":3,"day":"2030-03-01","price":200.33333333333334}""" +
            "]}",
            text);
    }

    [Fact]
    public async Task Keys_come_in_the_order_count_day_price()
    {
        var rates = await GetRatesAsync("/rates?date_from=2030-03-01&date_to=2030-03-02&orig_code=TSTAA&dest_code=TSTBB");

        Assert.All(rates, day => Assert.Equal(["count", "day", "price"], day.EnumerateObject().Select(p => p.Name)));
    }

    [Fact]
    public async Task Price_is_null_at_two_prices_and_the_average_at_three()
    {
        var rates = await GetRatesAsync("/rates?date_from=2030-03-01&date_to=2030-03-02&orig_code=TSTAA&dest_code=TSTBB");

        var two = Assert.Single(rates, r => r.GetProperty("day").GetString() == "2030-03-02");
        Assert.Equal(2, two.GetProperty("count").GetInt32());
        Assert.Equal(JsonValueKind.Null, two.GetProperty("price").ValueKind);

        var three = Assert.Single(rates, r => r.GetProperty("day").GetString() == "2030-03-01");
        Assert.Equal(3, three.GetProperty("count").GetInt32());
        Assert.Equal(601.0 / 3.0, three.GetProperty("price").GetDouble(), 1e-9);
    }

    [Fact]
    public async Task A_day_without_prices_has_null_count_and_price()
    {
        var rates = await GetRatesAsync("/rates?date_from=2030-03-03&date_to=2030-03-03&orig_code=TSTAA&dest_code=TSTBB");

        var day = Assert.Single(rates);
        Assert.Equal("2030-03-03", day.GetProperty("day").GetString());
        Assert.Equal(JsonValueKind.Null, day.GetProperty("count").ValueKind);
        Assert.Equal(JsonValueKind.Null, day.GetProperty("price").ValueKind);
    }

    [Fact]
    public async Task The_first_and_last_day_of_the_range_are_included_and_nothing_outside()
    {
        // Feb 28 and Mar 6 have three prices each on this lane; they must not appear.
        var rates = await GetRatesAsync("/rates?date_from=2030-03-01&date_to=2030-03-05&orig_code=TSTAA&dest_code=TSTBB");

        Assert.Equal(5, rates.Length);
        Assert.Equal("2030-03-05", rates[0].GetProperty("day").GetString());
        Assert.Equal(4, rates[0].GetProperty("count").GetInt32());
        Assert.Equal("2030-03-01", rates[^1].GetProperty("day").GetString());
        Assert.Equal(3, rates[^1].GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_single_day_range_answers_that_day()
    {
        var text = await GetTextAsync("/rates?date_from=2030-03-05&date_to=2030-03-05&orig_code=TSTAA&dest_code=TSTBB");

        Assert.Equal("""{"rates":[{"count":4,"day":"2030-03-05","price":25.25}]}""", text);
    }

    [Fact]
    public async Task Date_from_after_date_to_answers_an_empty_list()
    {
        var text = await GetTextAsync("/rates?date_from=2030-03-05&date_to=2030-03-01&orig_code=TSTAA&dest_code=TSTBB");

        Assert.Equal("""{"rates":[]}""", text);
    }

    [Fact]
    public async Task Unknown_codes_answer_every_day_null()
    {
        var rates = await GetRatesAsync("/rates?date_from=2030-03-01&date_to=2030-03-03&orig_code=NOPE1&dest_code=TSTBB");

        Assert.Equal(["2030-03-03", "2030-03-02", "2030-03-01"], rates.Select(r => r.GetProperty("day").GetString()));
        Assert.All(rates, r =>
        {
            Assert.Equal(JsonValueKind.Null, r.GetProperty("count").ValueKind);
            Assert.Equal(JsonValueKind.Null, r.GetProperty("price").ValueKind);
        });
    }

    [Fact]
    public async Task The_direction_of_the_lane_matters()
    {
        var rates = await GetRatesAsync("/rates?date_from=2030-03-03&date_to=2030-03-03&orig_code=TSTBB&dest_code=TSTAA");

        var day = Assert.Single(rates);
        Assert.Equal(3, day.GetProperty("count").GetInt32());
        Assert.Equal(5000, day.GetProperty("price").GetDouble());
    }

    [Fact]
    public async Task A_whole_average_is_written_as_a_float_like_the_original()
    {
        // Python's json wrote float(5000) as 5000.0; a byte-comparing client must see the same text.
        var text = await GetTextAsync("/rates?date_from=2030-03-03&date_to=2030-03-03&orig_code=TSTBB&dest_code=TSTAA");

        Assert.Equal("""{"rates":[{"count":3,"day":"2030-03-03","price":5000.0}]}""", text);
    }

    [Theory]
    [InlineData(5000.0, "5000.0")]
    [InlineData(25.25, "25.25")]
    [InlineData(1154.3333333333333, "1154.3333333333333")]
    [InlineData(200.33333333333334, "200.33333333333334")]
    [InlineData(1e16, "1e+16")]
    [InlineData(0.00001, "1e-05")]
    public void Prices_are_formatted_as_python_floats(double value, string expected) =>
        Assert.Equal(expected, global::Rates.Api.PythonFloatJsonConverter.Format(value));

    [Fact]
    public async Task The_average_is_sent_with_full_precision_like_the_original()
    {
        // (1154 + 1154 + 1155) / 3, the shape of the original's example answer.
        var text = await GetTextAsync("/rates?date_from=2030-03-01&date_to=2030-03-01&orig_code=TSTAA&dest_code=TSTCC");

        Assert.Equal("""{"rates":[{"count":3,"day":"2030-03-01","price":1154.3333333333333}]}""", text);
    }

    [Fact]
    public async Task Single_digit_months_and_days_are_accepted_as_by_the_original()
    {
        var rates = await GetRatesAsync("/rates?date_from=2030-3-1&date_to=2030-3-2&orig_code=TSTAA&dest_code=TSTBB");

        Assert.Equal(["2030-03-02", "2030-03-01"], rates.Select(r => r.GetProperty("day").GetString()));
    }

    [Fact]
    public async Task A_repeated_parameter_uses_its_first_value_as_the_original_did()
    {
        var rates = await GetRatesAsync("/rates?date_from=2030-03-05&date_from=garbage&date_to=2030-03-05&orig_code=TSTAA&orig_code=TSTBB&dest_code=TSTBB");

        var day = Assert.Single(rates);
        Assert.Equal(4, day.GetProperty("count").GetInt32());
    }

    [Theory]
    [InlineData("TSTAA' OR '1'='1")]
    [InlineData("TSTAA'; DROP TABLE public.prices; --")]
    [InlineData("%' OR 1=1 --")]
    public async Task Sql_injection_in_a_code_matches_nothing_and_harms_nothing(string code)
    {
        var rates = await GetRatesAsync($"/rates?date_from=2030-03-01&date_to=2030-03-01&orig_code={Uri.EscapeDataString(code)}&dest_code=TSTBB");

        var day = Assert.Single(rates);
        Assert.Equal(JsonValueKind.Null, day.GetProperty("count").ValueKind);

        // The table is still there and intact.
        var intact = await GetRatesAsync("/rates?date_from=2030-03-01&date_to=2030-03-01&orig_code=TSTAA&dest_code=TSTBB");
        Assert.Equal(3, Assert.Single(intact).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_ten_thousand_character_code_matches_nothing()
    {
        var rates = await GetRatesAsync($"/rates?date_from=2030-03-01&date_to=2030-03-02&orig_code={new string('A', 10_000)}&dest_code=TSTBB");

        Assert.Equal(2, rates.Length);
        Assert.All(rates, r => Assert.Equal(JsonValueKind.Null, r.GetProperty("count").ValueKind));
    }

    [Fact]
    public async Task Root_answers_hello_world()
    {
        var client = (await Api()).CreateClient();
        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"message":"Hello world!"}""", await response.Content.ReadAsStringAsync());
    }
}
