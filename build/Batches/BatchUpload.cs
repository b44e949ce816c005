using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace Rates.Build.Batches;

/// <summary>What the service answered to <c>PUT /batches/{id}</c>.</summary>
internal sealed record BatchUploadResponse(Uri Uri, HttpStatusCode Status, string? ReasonPhrase, string? ContentType, string Body, bool BodyTruncated)
{
    public bool IsSuccess => (int)Status is >= 200 and <= 299;

    /// <summary>"201 Created".</summary>
    public string StatusLine => $"{(int)Status} {ReasonPhrase ?? Status.ToString()}";
}

/// <summary>
/// Sends a generated batch file to a running service: <c>PUT &lt;url&gt;/batches/&lt;batch id&gt;</c> with the file
/// streamed as the body. The pure parts (URL and id rules) are separate so they can be tested without a server.
/// </summary>
internal static partial class BatchUpload
{
    /// <summary>Longest batch id accepted; ids end up in a URL path, logs and a database column.</summary>
    public const int MaxBatchIdLength = 100;

    /// <summary>Prefix of derived ids, so generated batches are recognisable in the batches table.</summary>
    public const string DerivedIdPrefix = "synthetic-";

    /// <summary>Hex digits of the SHA-256 kept in a derived id: 64 bits, collisions are not a practical concern.</summary>
    public const int DerivedIdHexDigits = 16;

    /// <summary>Response bodies larger than this are cut (a problem listing 100 invalid items is far below).</summary>
    public const int MaxResponseBodyChars = 256 * 1024;

    private const string Example = "http://127.0.0.1:3000";

    /// <summary>
    /// Checks the base URL of a service (<c>--send</c>) and returns it without a trailing slash. Only absolute
    /// http and https URLs without query, fragment or credentials are accepted; the message says what is wrong.
    /// </summary>
    /// <exception cref="BuildFailedException">The URL is not acceptable.</exception>
    public static Uri ParseServiceUrl(string? text)
    {
        var value = text?.Trim() ?? "";
        if (value.Length == 0)
            throw new BuildFailedException($"The service URL is empty; expected an http or https URL such as {Example}.");

        // "localhost:3000" parses as an absolute URI with scheme "localhost"; say what was probably meant.
        if (!value.Contains("://", StringComparison.Ordinal))
            throw new BuildFailedException($"'{value}' is not an absolute http or https URL; did you mean http://{value}?");
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
            throw new BuildFailedException($"'{value}' is not a valid URL; expected an http or https URL such as {Example}.");
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            throw new BuildFailedException($"'{value}' uses the scheme '{uri.Scheme}'; only http and https URLs are accepted, e.g. {Example}.");
        if (uri.UserInfo.Length > 0)
            throw new BuildFailedException("The service URL must not contain credentials (user:password@); they would be printed in the build log.");
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new BuildFailedException($"'{value}' has a query or fragment; give the service's base URL (e.g. {Example}), /batches/<id> is appended.");

        return new UriBuilder(uri) { Path = uri.AbsolutePath.TrimEnd('/') }.Uri;
    }

    /// <summary><c>&lt;base&gt;/batches/&lt;id&gt;</c>, keeping a path prefix of the base URL (a service behind a reverse proxy).</summary>
    public static Uri BatchUri(Uri serviceUrl, string batchId) =>
        new UriBuilder(serviceUrl) { Path = serviceUrl.AbsolutePath.TrimEnd('/') + "/batches/" + Uri.EscapeDataString(batchId) }.Uri;

    /// <summary>
    /// The default batch id for a file with SHA-256 <paramref name="sha256"/>: the same file always gets the same id,
    /// so sending it again is an idempotent replay (200) rather than a duplicate, and different files never share one
    /// (which the service would answer with 409).
    /// </summary>
    public static string DeriveBatchId(string sha256)
    {
        if (!Sha256Hex().IsMatch(sha256))
            throw new ArgumentException($"Expected a SHA-256 as 64 hex digits; got '{sha256}'.", nameof(sha256));
        return DerivedIdPrefix + sha256[..DerivedIdHexDigits].ToLowerInvariant();
    }

    /// <summary>
    /// Throws when <paramref name="batchId"/> breaks the service's rule (1 to 100 of A-Z a-z 0-9 . _ -), or is "." or
    /// "..", which the URL path would resolve away instead of sending.
    /// </summary>
    /// <exception cref="BuildFailedException">The id is not acceptable.</exception>
    public static void ValidateBatchId(string batchId)
    {
        if (batchId.Length == 0 || batchId.Length > MaxBatchIdLength || !BatchIdCharacters().IsMatch(batchId) || batchId is "." or "..")
        {
            throw new BuildFailedException(
                $"Invalid batch id '{batchId}': use 1 to {MaxBatchIdLength} characters among letters A-Z and a-z, digits, '.', '_' and '-', other than '.' and '..' (e.g. prices-2024-03-01).");
        }
    }

    /// <summary>
    /// PUTs <paramref name="file"/> to <paramref name="uri"/>, streamed from disk (never read whole into memory), with
    /// the given media type and optional content encoding, signed with <paramref name="apiKey"/> when given. Any HTTP
    /// answer is returned; only transport failures throw.
    /// </summary>
    /// <exception cref="BuildFailedException">The service could not be reached or did not answer in time.</exception>
    public static async Task<BatchUploadResponse> SendAsync(HttpClient client, Uri uri, string file, string contentType, string? contentEncoding,
        string? apiKey, CancellationToken cancellationToken)
    {
        await using var body = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, useAsync: true);
        using var request = new HttpRequestMessage(HttpMethod.Put, uri) { Content = new StreamContent(body, 1 << 16) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Content.Headers.ContentLength = body.Length;
        if (contentEncoding is not null)
            request.Content.Headers.ContentEncoding.Add(contentEncoding);
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("application/problem+json");
        if (apiKey is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        // Lets the service refuse (413, 415...) before megabytes are uploaded; it waits at most a second for the go-ahead.
        request.Headers.ExpectContinue = true;

        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var (text, truncated) = await ReadBodyAsync(response.Content, cancellationToken);
            return new BatchUploadResponse(uri, response.StatusCode, response.ReasonPhrase,
                response.Content.Headers.ContentType?.MediaType, text, truncated);
        }
        catch (HttpRequestException ex)
        {
            // Only a failed connection means "nothing there"; a connection dropped mid-upload is the service's doing.
            var hint = ex.HttpRequestError == HttpRequestError.ConnectionError ? " Is the service running there?" : "";
            throw new BuildFailedException($"Could not send the batch to {uri}: {ex.Message}{hint}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BuildFailedException($"PUT {uri} got no answer within {client.Timeout.TotalMinutes:0} minutes.", ex);
        }
    }

    private static async Task<(string Text, bool Truncated)> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var charset = content.Headers.ContentType?.CharSet;
        Encoding encoding;
        try
        {
            encoding = string.IsNullOrEmpty(charset) ? Encoding.UTF8 : Encoding.GetEncoding(charset.Trim('"'));
        }
        catch (ArgumentException)
        {
            encoding = Encoding.UTF8;
        }

        // One character more than kept tells whether the body was cut.
        using var reader = new StreamReader(await content.ReadAsStreamAsync(cancellationToken), encoding);
        var buffer = new char[MaxResponseBodyChars + 1];
        var read = 0;
        int count;
        while (read < buffer.Length && (count = await reader.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
            read += count;
        return (new string(buffer, 0, Math.Min(read, MaxResponseBodyChars)), read > MaxResponseBodyChars);
    }

    [GeneratedRegex(@"\A[0-9A-Fa-f]{64}\z")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex(@"\A[A-Za-z0-9._-]+\z")]
    private static partial Regex BatchIdCharacters();
}
