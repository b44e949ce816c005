using System.Globalization;

namespace Rates.Api.Batches;

/// <summary>The body is not valid JSON or CSV (or not valid gzip): answered 400, nothing is written.</summary>
internal sealed class BatchFormatException : Exception
{
    private BatchFormatException(string message, long? line, long? position)
        : base(message)
    {
        Line = line;
        Position = position;
    }

    /// <summary>1-based line of the body (after decompression) where the problem is, when known.</summary>
    public long? Line { get; }

    /// <summary>1-based byte position within <see cref="Line"/>, when known.</summary>
    public long? Position { get; }

    /// <summary>A problem at a place in the body: "Line 3, position 17: ...".</summary>
    public static BatchFormatException At(long line, long? position, string problem) => new(
        position is { } at
            ? string.Create(CultureInfo.InvariantCulture, $"Line {line}, position {at}: {problem}")
            : string.Create(CultureInfo.InvariantCulture, $"Line {line}: {problem}"),
        line,
        position);

    /// <summary>A problem of the body as a whole (e.g. not gzip).</summary>
    public static BatchFormatException Body(string problem) => new(problem, null, null);
}

/// <summary>The batch crosses Batches:MaxItems or Batches:MaxBodyBytes: answered 413, nothing is written.</summary>
internal sealed class BatchTooLargeException(string message) : Exception(message);
