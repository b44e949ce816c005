using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Rates.Api.Tests.Infrastructure;
using Rates.Synthetic;

namespace Rates.Api.Tests.Batches;

/// <summary>
/// A migrated database holding the synthetic port catalog (regions and ports, no prices), so batches made by
/// Rates.Synthetic's BatchWriter, or by hand from real UN/LOCODEs, find their ports.
/// </summary>
public static class BatchDatabase
{
    public const string Shanghai = "CNSGH";
    public const string Rotterdam = "NLRTM";
    public const string Hamburg = "DEHAM";

    public static async Task<string> CreateAsync(PostgresFixture postgres, string prefix)
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync(prefix);
        await InsertCatalogAsync(connectionString, PortCatalog.Default);
        return connectionString;
    }

    /// <summary>One statement per table: foreign keys are checked at the end of a statement, so parents may come in any order.</summary>
    public static async Task InsertCatalogAsync(string connectionString, PortCatalog catalog)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var regions = new NpgsqlCommand("INSERT INTO public.regions (slug, name, parent_slug) SELECT * FROM unnest(@slugs, @names, @parents)", connection))
        {
            regions.Parameters.Add(new NpgsqlParameter("slugs", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = catalog.Regions.Select(r => r.Slug).ToArray() });
            regions.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = catalog.Regions.Select(r => r.Name).ToArray() });
            regions.Parameters.Add(new NpgsqlParameter("parents", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = catalog.Regions.Select(r => r.ParentSlug).ToArray() });
            await regions.ExecuteNonQueryAsync();
        }

        await using var ports = new NpgsqlCommand("INSERT INTO public.ports (code, name, parent_slug) SELECT * FROM unnest(@codes, @names, @parents)", connection);
        ports.Parameters.Add(new NpgsqlParameter("codes", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = catalog.Ports.Select(p => p.Code).ToArray() });
        ports.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = catalog.Ports.Select(p => p.Name).ToArray() });
        ports.Parameters.Add(new NpgsqlParameter("parents", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = catalog.Ports.Select(p => p.ParentSlug).ToArray() });
        await ports.ExecuteNonQueryAsync();
    }

    public static Task<long> PriceCountAsync(string connectionString) =>
        TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.prices");

    /// <summary>The prices that record <paramref name="batchId"/> as their batch (lineage).</summary>
    public static Task<long> BatchRowsAsync(string connectionString, string batchId) =>
        TestData.ScalarAsync<long>(connectionString, $"SELECT count(*) FROM public.prices WHERE batch_id = '{batchId}'");

    public static Task<long> BatchCountAsync(string connectionString, string batchId) =>
        TestData.ScalarAsync<long>(connectionString, $"SELECT count(*) FROM public.batches WHERE id = '{batchId}'");

    /// <summary>Sessions of the service (by application name) doing something: running a statement or holding a transaction open.</summary>
    public static Task<long> BusySessionsAsync(string connectionString, string applicationName) =>
        TestData.ScalarAsync<long>(
            connectionString,
            $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{applicationName}' AND state <> 'idle'");

    /// <summary>Sessions of the service waiting for a lock held by someone else.</summary>
    public static Task<long> WaitingSessionsAsync(string connectionString, string applicationName, string queryStart) =>
        TestData.ScalarAsync<long>(
            connectionString,
            $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{applicationName}' AND wait_event_type = 'Lock' AND query LIKE '{queryStart}%'");

    /// <summary>
    /// Locks a port FOR UPDATE in a transaction of the test's own until disposed: a batch naming the port then
    /// waits in its INSERT INTO prices (the foreign key check), in the middle of its transaction.
    /// </summary>
    public static async Task<IAsyncDisposable> HoldPortAsync(string connectionString, string code) =>
        await HeldLock.TakeAsync(connectionString, "SELECT 1 FROM public.ports WHERE code = @code FOR UPDATE", ("code", code));

    public static async Task WaitForAsync(Func<Task<long>> probe, Func<long, bool> done, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        long last;
        while (!done(last = await probe()))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what} (last value {last}).");
            }

            await Task.Delay(50);
        }
    }
}

/// <summary>Batch bodies for the tests.</summary>
public static class BatchBodies
{
    public const string CsvHeader = "orig_code,dest_code,day,price";

    /// <summary><c>{"prices": [items]}</c> from raw JSON item texts.</summary>
    public static string Json(IEnumerable<string> items) => "{\"prices\": [" + string.Join(",\n", items) + "]}";

    public static string Json(params string[] items) => Json((IEnumerable<string>)items);

    public static string JsonItem(string orig, string dest, DateOnly day, int price) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"orig_code": "{{orig}}", "dest_code": "{{dest}}", "day": "{{day:yyyy-MM-dd}}", "price": {{price}}}""");

    /// <summary>The header line, then the lines.</summary>
    public static string Csv(IEnumerable<string> lines) => CsvHeader + "\n" + string.Join("\n", lines) + "\n";

    public static string Csv(params string[] lines) => Csv((IEnumerable<string>)lines);

    public static string CsvLine(string orig, string dest, DateOnly day, int price) =>
        string.Create(CultureInfo.InvariantCulture, $"{orig},{dest},{day:yyyy-MM-dd},{price}");

    /// <summary><paramref name="count"/> valid items on one lane and day, prices 100, 101, ...</summary>
    public static IEnumerable<(string Orig, string Dest, DateOnly Day, int Price)> Lane(string orig, string dest, DateOnly day, int count) =>
        Enumerable.Range(0, count).Select(i => (orig, dest, day, 100 + i));

    public static string Json(IEnumerable<(string Orig, string Dest, DateOnly Day, int Price)> items) =>
        Json(items.Select(i => JsonItem(i.Orig, i.Dest, i.Day, i.Price)));

    public static string Csv(IEnumerable<(string Orig, string Dest, DateOnly Day, int Price)> items) =>
        Csv(items.Select(i => CsvLine(i.Orig, i.Dest, i.Day, i.Price)));

    public static HttpContent Content(string body, string mediaType) => Content(Encoding.UTF8.GetBytes(body), mediaType);

    public static HttpContent Content(byte[] body, string mediaType, string? encoding = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        if (encoding is not null)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        return content;
    }

    public static byte[] Gzip(string body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(body));
        }

        return output.ToArray();
    }

    /// <summary>A synthetic batch from Rates.Synthetic (the generator behind ./build.sh GenerateBatch).</summary>
    public static async Task<(byte[] Body, BatchSummary Summary)> SyntheticAsync(BatchSpec spec)
    {
        using var output = new MemoryStream();
        var summary = await BatchWriter.WriteAsync(spec, output);
        return (output.ToArray(), summary);
    }

    public static HttpContent Content(byte[] body, BatchSpec spec) => Content(body, spec.ContentType, spec.ContentEncoding);
}

/// <summary>
/// A request body sent in two parts: the head at once, the tail only when the test says so (or never: the
/// client then gives up, aborting the upload). Sent chunked, as a streaming client does.
/// </summary>
public sealed class GatedContent : HttpContent
{
    private readonly byte[] _head;
    private readonly byte[] _tail;
    private readonly TaskCompletionSource _headSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GatedContent(string body, int headLength, string mediaType)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        _head = bytes[..headLength];
        _tail = bytes[headLength..];
        Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
    }

    /// <summary>Completes once the head has been handed to the connection.</summary>
    public Task HeadSent => _headSent.Task;

    public void SendTail() => _gate.TrySetResult(true);

    /// <summary>The client fails while sending: the request is aborted mid-body.</summary>
    public void Abort() => _gate.TrySetResult(false);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(_head);
        await stream.FlushAsync();
        _headSent.TrySetResult();
        if (!await _gate.Task)
        {
            throw new IOException("The test client gave up in the middle of the body.");
        }

        await stream.WriteAsync(_tail);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}

/// <summary>Reading the service's answers.</summary>
public static class BatchAnswers
{
    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            Assert.Fail($"Not JSON ({(int)response.StatusCode}): {text}");
            throw;
        }
    }

    /// <summary>Asserts the status and problem+json, and returns the problem.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    public static async Task<JsonElement> SuccessAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
