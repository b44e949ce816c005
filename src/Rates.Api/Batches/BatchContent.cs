using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Rates.Api.Batches;

/// <summary>How a batch body is written.</summary>
internal enum BatchFormat
{
    /// <summary><c>application/json</c>: <c>{"prices": [{"orig_code": ..., "dest_code": ..., "day": ..., "price": ...}, ...]}</c>.</summary>
    Json,

    /// <summary><c>text/csv</c>: the header <c>orig_code,dest_code,day,price</c>, then one item per line.</summary>
    Csv,
}

/// <summary>Reads the Content-Type and Content-Encoding of a batch upload; anything else is answered 415.</summary>
internal static class BatchContent
{
    public const string JsonMediaType = "application/json";
    public const string CsvMediaType = "text/csv";

    /// <summary>The format named by <paramref name="contentType"/>, or the reason it is refused.</summary>
    public static bool TryGetFormat(string? contentType, out BatchFormat format, out string? error)
    {
        format = default;
        if (string.IsNullOrWhiteSpace(contentType))
        {
            error = $"The request has no Content-Type. Send the batch as {JsonMediaType} or {CsvMediaType}.";
            return false;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            error = $"The Content-Type '{contentType}' cannot be read. Send the batch as {JsonMediaType} or {CsvMediaType}.";
            return false;
        }

        if (media.MediaType.Equals(JsonMediaType, StringComparison.OrdinalIgnoreCase))
        {
            format = BatchFormat.Json;
        }
        else if (media.MediaType.Equals(CsvMediaType, StringComparison.OrdinalIgnoreCase))
        {
            format = BatchFormat.Csv;
        }
        else
        {
            error = $"The media type '{media.MediaType}' is not supported. Send the batch as {JsonMediaType} or {CsvMediaType}.";
            return false;
        }

        // Both formats are read as UTF-8 (JSON is UTF-8 by definition; an ASCII body is UTF-8 too).
        var charset = HeaderUtilities.RemoveQuotes(media.Charset);
        if (charset.HasValue && !IsUtf8(charset))
        {
            error = $"The charset '{charset}' is not supported. Send the batch in UTF-8.";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Whether the body is gzip-compressed, or the reason its Content-Encoding is refused.</summary>
    public static bool TryGetEncoding(StringValues contentEncoding, out bool gzip, out string? error)
    {
        gzip = false;
        var codings = new List<string>();
        foreach (var value in contentEncoding)
        {
            foreach (var coding in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    codings.Add(coding);
                }
            }
        }

        if (codings.Count == 0)
        {
            error = null;
            return true;
        }

        if (codings.Count == 1 && (codings[0].Equals("gzip", StringComparison.OrdinalIgnoreCase) || codings[0].Equals("x-gzip", StringComparison.OrdinalIgnoreCase)))
        {
            gzip = true;
            error = null;
            return true;
        }

        error = $"The Content-Encoding '{string.Join(", ", codings)}' is not supported. Send the body uncompressed or with Content-Encoding: gzip.";
        return false;
    }

    private static bool IsUtf8(StringSegment charset) =>
        charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
        || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
        || charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase);
}
