using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Rates.Build.Batches;
using Rates.Build.Framework;

namespace Rates.Build.Tests;

/// <summary>
/// The pure pieces of GenerateBatch --send: service URL and batch id (the same rule as the service's
/// PUT /batches/{id}, minus "." and "..", which a URL path would swallow).
/// </summary>
public class BatchUploadTests
{
    [Theory]
    [InlineData("http://127.0.0.1:3000", "http://127.0.0.1:3000/batches/b1")]
    [InlineData("http://127.0.0.1:3000/", "http://127.0.0.1:3000/batches/b1")]
    [InlineData(" https://rates.example.com ", "https://rates.example.com/batches/b1")]
    [InlineData("http://localhost:8080/api/", "http://localhost:8080/api/batches/b1")]
    public void Accepts_http_and_https_base_urls_and_appends_batches_and_the_id(string url, string expected)
    {
        var serviceUrl = BatchUpload.ParseServiceUrl(url);

        Assert.Equal(expected, BatchUpload.BatchUri(serviceUrl, "b1").AbsoluteUri);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/", "uses the scheme 'ftp'; only http and https URLs are accepted")]
    [InlineData("file:///tmp/x", "uses the scheme 'file'; only http and https URLs are accepted")]
    [InlineData("localhost:3000", "did you mean http://localhost:3000?")]
    [InlineData("127.0.0.1:3000", "did you mean http://127.0.0.1:3000?")]
    [InlineData("", "The service URL is empty")]
    [InlineData("   ", "The service URL is empty")]
    [InlineData("http://", "is not a valid URL")]
    [InlineData("http://127.0.0.1:3000/?x=1", "has a query or fragment")]
    [InlineData("http://127.0.0.1:3000/#top", "has a query or fragment")]
    [InlineData("http://user:secret@127.0.0.1:3000", "must not contain credentials")]
    public void Refuses_other_urls_with_a_message_saying_why(string url, string message)
    {
        var ex = Assert.Throws<BuildFailedException>(() => BatchUpload.ParseServiceUrl(url));

        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void The_id_is_escaped_into_a_single_path_segment()
    {
        var uri = BatchUpload.BatchUri(BatchUpload.ParseServiceUrl("http://127.0.0.1:3000"), "a b");

        Assert.Equal("/batches/a%20b", uri.AbsolutePath);
    }

    [Fact]
    public void The_derived_id_depends_only_on_the_file_hash()
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData("batch"u8));
        var other = Convert.ToHexStringLower(SHA256.HashData("other batch"u8));

        var id = BatchUpload.DeriveBatchId(sha);

        Assert.Equal("synthetic-" + sha[..16], id);
        Assert.Equal(id, BatchUpload.DeriveBatchId(sha.ToUpperInvariant()));
        Assert.NotEqual(id, BatchUpload.DeriveBatchId(other));
        BatchUpload.ValidateBatchId(id); // a derived id is always acceptable
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz64zz64zz64zz64zz64zz64zz64zz64zz64zz64zz64zz64zz64zz64zz64zz64")]
    public void Deriving_from_something_that_is_not_a_sha256_fails(string sha)
    {
        Assert.Throws<ArgumentException>(() => BatchUpload.DeriveBatchId(sha));
    }

    [Theory]
    [InlineData("b1")]
    [InlineData("prices-2024_03.01")]
    [InlineData("A")]
    public void Accepts_ids_of_letters_digits_dash_underscore_and_dot(string id)
    {
        BatchUpload.ValidateBatchId(id);
        BatchUpload.ValidateBatchId(new string('x', BatchUpload.MaxBatchIdLength));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("..")]
    [InlineData("prix-été")]
    [InlineData("a?b")]
    [InlineData("b1\n")]
    public void Refuses_other_ids_naming_the_rule(string id)
    {
        var ex = Assert.Throws<BuildFailedException>(() => BatchUpload.ValidateBatchId(id));

        Assert.Contains($"Invalid batch id '{id}': use 1 to 100 characters among letters A-Z and a-z, digits, '.', '_' and '-', other than '.' and '..'", ex.Message);
    }

    [Fact]
    public void Refuses_an_id_longer_than_100_characters()
    {
        Assert.Throws<BuildFailedException>(() => BatchUpload.ValidateBatchId(new string('x', BatchUpload.MaxBatchIdLength + 1)));
    }
}

public class BatchResponseFormatterTests
{
    [Fact]
    public void A_problem_is_printed_member_by_member_with_long_lists_cut()
    {
        var errors = string.Join(',', Enumerable.Range(0, 100).Select(i => $$"""{"index":{{i}},"field":"price","reason":"not positive"}"""));
        var body = $$"""{"type":"about:blank","title":"Invalid items","status":422,"detail":"250 invalid items; nothing was written.","invalidItems":250,"errors":[{{errors}}]}""";

        var lines = BatchResponseFormatter.Format(body);

        Assert.Equal("title: Invalid items", lines[1]);
        Assert.Equal("status: 422", lines[2]);
        Assert.Equal("detail: 250 invalid items; nothing was written.", lines[3]);
        Assert.Equal("invalidItems: 250", lines[4]);
        Assert.Equal("errors: 100 items", lines[5]);
        Assert.Equal("""  - {"index":0,"field":"price","reason":"not positive"}""", lines[6]);
        Assert.Equal("  ... 90 more", lines[^1]);
        Assert.Equal(6 + BatchResponseFormatter.MaxArrayItems + 1, lines.Count);
        Assert.Equal("250 invalid items; nothing was written.", BatchResponseFormatter.ProblemSummary(body));
    }

    [Fact]
    public void A_success_body_is_printed_member_by_member()
    {
        var lines = BatchResponseFormatter.Format(
            """{"batchId":"b1","items":3,"receivedAt":"2024-03-01T10:00:00Z","committedAt":"2024-03-01T10:00:01Z"}""");

        Assert.Equal(["batchId: b1", "items: 3", "receivedAt: 2024-03-01T10:00:00Z", "committedAt: 2024-03-01T10:00:01Z"], lines);
    }

    [Fact]
    public void The_problem_summary_falls_back_to_the_title_and_is_null_for_other_bodies()
    {
        Assert.Equal("Conflict", BatchResponseFormatter.ProblemSummary("""{"title":"Conflict","status":409}"""));
        Assert.Null(BatchResponseFormatter.ProblemSummary("<html>Bad gateway</html>"));
        Assert.Null(BatchResponseFormatter.ProblemSummary(""));
        Assert.Null(BatchResponseFormatter.ProblemSummary("[1,2]"));
    }

    [Fact]
    public void Other_bodies_are_printed_as_text_and_empty_ones_say_so()
    {
        Assert.Equal(["<html>", "Bad gateway", "</html>"], BatchResponseFormatter.Format("<html>\r\nBad gateway\r\n</html>\r\n"));
        Assert.Equal(["(empty body)"], BatchResponseFormatter.Format(""));
        Assert.Equal(["(empty body)", "(response cut after 262,144 characters)"], BatchResponseFormatter.Format("", truncated: true));
    }

    [Fact]
    public void Long_text_bodies_are_cut()
    {
        var lines = BatchResponseFormatter.Format(string.Join('\n', Enumerable.Range(1, 100).Select(i => $"line {i}")));

        Assert.Equal(BatchResponseFormatter.MaxTextLines + 1, lines.Count);
        Assert.Equal("... 60 more lines", lines[^1]);
    }
}

public class PeriodicProgressLogTests
{
    private sealed class ManualTime : TimeProvider
    {
        public long Ticks { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;
    }

    [Fact]
    public void Writes_at_most_one_line_per_interval_and_nothing_at_the_end()
    {
        var time = new ManualTime();
        var lines = new List<string>();
        var log = new PeriodicProgressLog(10_000_000, TimeSpan.FromSeconds(5), lines.Add, time);

        time.Ticks = TimeSpan.FromSeconds(4).Ticks;
        log.Report(1_000_000);
        time.Ticks = TimeSpan.FromSeconds(5).Ticks;
        log.Report(1_250_000);
        time.Ticks = TimeSpan.FromSeconds(9).Ticks;
        log.Report(2_000_000);
        time.Ticks = TimeSpan.FromSeconds(60).Ticks;
        log.Report(10_000_000);

        Assert.Equal(["Generated 1,250,000 of 10,000,000 items (12%) in 5s"], lines);
    }
}

/// <summary>GenerateBatch run through the real build, as <c>./build.sh GenerateBatch ...</c> would.</summary>
public sealed class GenerateBatchTargetTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rates-batch-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_same_parameters_write_the_same_bytes_and_print_the_summary()
    {
        var first = Path.Combine(_directory, "first.csv");
        var second = Path.Combine(_directory, "second.csv");
        const string args = "GenerateBatch --batch-items 2000 --batch-format csv --batch-invalid-ratio 0.1 --batch-seed 5";

        var run = await TestHost.RunAsync(new global::Build(), $"{args} --batch-output {first}");
        var again = await TestHost.RunAsync(new global::Build(), $"{args} --batch-output {second}");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(await File.ReadAllBytesAsync(first), await File.ReadAllBytesAsync(second));
        var sha = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(first)));
        Assert.Contains($"│ SHA-256 ", run.Output);
        Assert.Contains(sha, run.Output);
        Assert.Contains("2,000 (1,800 valid, 200 invalid)", run.Output);
        Assert.Contains("invalid: BadDate", run.Output);
        Assert.StartsWith("orig_code,dest_code,day,price\n", await File.ReadAllTextAsync(first));
    }

    [Fact]
    public async Task An_existing_folder_as_output_receives_the_default_file_name()
    {
        var run = await TestHost.RunAsync(new global::Build(), $"GenerateBatch --batch-items 10 --batch-gzip --batch-output {_directory}");

        Assert.Equal(0, run.ExitCode);
        Assert.True(File.Exists(Path.Combine(_directory, "prices-n10-d30-l500-s20240101.json.gz")), run.Output);
    }

    [Fact]
    public async Task Too_many_lanes_fail_naming_the_parameter_and_the_limit()
    {
        var run = await TestHost.RunAsync(new global::Build(), $"GenerateBatch --batch-lanes 1000000 --batch-output {_directory}/x.json");

        Assert.Equal(BuildRunner.ExitTargetFailed, run.ExitCode);
        Assert.Contains("Invalid value for --batch-lanes: BatchSpec.Lanes must be between 1 and", run.Output);
        Assert.Empty(Directory.EnumerateFiles(_directory));
    }

    [Theory]
    [InlineData("--batch-invalid-ratio 2", "Invalid value '2' for parameter 'BatchInvalidRatio' (--batch-invalid-ratio): accepted values are numbers from 0 to 1")]
    [InlineData("--batch-items 0", "Invalid value '0' for parameter 'BatchItems' (--batch-items): accepted values are whole numbers from 1 to 10000000")]
    [InlineData("--batch-format xml", "Invalid value 'xml' for parameter 'BatchFormat' (--batch-format): accepted values are Json, Csv")]
    public async Task Bad_values_stop_the_build_before_anything_runs(string args, string message)
    {
        var run = await TestHost.RunAsync(new global::Build(), $"GenerateBatch {args}");

        Assert.Equal(BuildRunner.ExitUsage, run.ExitCode);
        Assert.Contains(message, run.Output);
    }

    [Fact]
    public async Task A_bad_service_url_fails_before_generating()
    {
        var run = await TestHost.RunAsync(new global::Build(), $"GenerateBatch --send ftp://127.0.0.1/ --batch-output {_directory}/x.json");

        Assert.Equal(BuildRunner.ExitTargetFailed, run.ExitCode);
        Assert.Contains("only http and https URLs are accepted", run.Output);
        Assert.Empty(Directory.EnumerateFiles(_directory));
    }

    [Fact]
    public async Task Send_puts_the_file_with_its_media_type_and_encoding_and_prints_the_answer()
    {
        await using var server = await FakeService.StartAsync(HttpStatusCode.Created, "application/json",
            """{"batchId":"x","items":300,"receivedAt":"2024-03-01T10:00:00Z","committedAt":"2024-03-01T10:00:01Z"}""");
        var file = Path.Combine(_directory, "batch.csv.gz");

        var run = await TestHost.RunAsync(new global::Build(),
            $"GenerateBatch --batch-items 300 --batch-format csv --batch-gzip --batch-output {file} --send {server.Url}");

        Assert.Equal(0, run.ExitCode);
        var bytes = await File.ReadAllBytesAsync(file);
        var request = Assert.Single(server.Requests);
        Assert.Equal("PUT", request.Method);
        Assert.Equal("/batches/" + BatchUpload.DeriveBatchId(Convert.ToHexStringLower(SHA256.HashData(bytes))), request.Path);
        Assert.Equal("text/csv", request.ContentType);
        Assert.Equal("gzip", request.ContentEncoding);
        Assert.Equal(bytes, request.Body);
        Assert.Contains("HTTP 201 Created", run.Output);
        Assert.Contains("  items: 300", run.Output);
    }

    [Fact]
    public async Task Send_with_an_explicit_id_and_an_error_answer_prints_the_problem_and_fails()
    {
        await using var server = await FakeService.StartAsync(HttpStatusCode.UnprocessableEntity, "application/problem+json",
            """{"title":"Invalid items","status":422,"detail":"30 invalid items; nothing was written.","errors":[{"index":3,"field":"day"}]}""");

        var run = await TestHost.RunAsync(new global::Build(),
            $"GenerateBatch --batch-items 300 --batch-invalid-ratio 0.1 --batch-output {_directory}/b.json --send {server.Url}/ --batch-id retry-1");

        Assert.Equal(BuildRunner.ExitTargetFailed, run.ExitCode);
        Assert.Equal("/batches/retry-1", Assert.Single(server.Requests).Path);
        Assert.Equal("application/json", server.Requests[0].ContentType);
        Assert.Null(server.Requests[0].ContentEncoding);
        Assert.Contains("HTTP 422 Unprocessable Entity", run.Output);
        Assert.Contains("""  - {"index":3,"field":"day"}""", run.Output);
        Assert.Contains("answered 422 Unprocessable Entity: 30 invalid items; nothing was written.", run.Output);
    }

    [Fact]
    public async Task Send_to_a_port_where_nothing_listens_fails_with_a_hint()
    {
        var port = FakeService.FreePort();

        var run = await TestHost.RunAsync(new global::Build(),
            $"GenerateBatch --batch-items 10 --batch-output {_directory}/b.json --send http://127.0.0.1:{port}");

        Assert.Equal(BuildRunner.ExitTargetFailed, run.ExitCode);
        Assert.Contains($"Could not send the batch to http://127.0.0.1:{port}/batches/synthetic-", run.Output);
        Assert.Contains("Is the service running there?", run.Output);
    }

    private sealed record ReceivedRequest(string Method, string Path, string? ContentType, string? ContentEncoding, byte[] Body);

    /// <summary>An HttpListener on 127.0.0.1 that records each request and gives one fixed answer.</summary>
    private sealed class FakeService : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        private FakeService(int port, HttpStatusCode status, string contentType, string body)
        {
            Url = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try
                    {
                        context = await _listener.GetContextAsync();
                    }
                    catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                    {
                        return;
                    }

                    using var received = new MemoryStream();
                    await context.Request.InputStream.CopyToAsync(received);
                    Requests.Add(new ReceivedRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath,
                        context.Request.ContentType, context.Request.Headers["Content-Encoding"], received.ToArray()));
                    context.Response.StatusCode = (int)status;
                    context.Response.ContentType = contentType;
                    var bytes = Encoding.UTF8.GetBytes(body);
                    await context.Response.OutputStream.WriteAsync(bytes);
                    context.Response.Close();
                }
            });
        }

        public string Url { get; }

        public List<ReceivedRequest> Requests { get; } = [];

        public static Task<FakeService> StartAsync(HttpStatusCode status, string contentType, string body) =>
            Task.FromResult(new FakeService(FreePort(), status, contentType, body));

        public static int FreePort()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            await _loop;
        }
    }
}
