using System.Globalization;
using System.Text;

namespace Rates.Synthetic;

/// <summary>The ways a synthetic item can be invalid; each invalid item has exactly one.</summary>
public enum InvalidItemKind
{
    /// <summary><c>orig_code</c> or <c>dest_code</c> is a well-formed code of no port (prefix <c>ZZ</c>, never a country).</summary>
    UnknownPortCode,

    /// <summary><c>day</c> is not a real calendar date in <c>YYYY-MM-DD</c> form, e.g. <c>2024-02-30</c>.</summary>
    BadDate,

    /// <summary><c>price</c> is zero or negative.</summary>
    NonPositivePrice,

    /// <summary><c>price</c> has a fraction, e.g. <c>1234.5</c>.</summary>
    NonIntegerPrice,

    /// <summary>One field is absent (JSON: property left out; CSV: empty value).</summary>
    MissingField,
}

/// <summary>An invalid item: its 0-based position in the batch (CSV line = Index + 2), kind and field.</summary>
public sealed record InvalidItem(int Index, InvalidItemKind Kind, string Field);

/// <summary>What <see cref="BatchWriter"/> wrote.</summary>
public sealed record BatchSummary
{
    /// <summary>How many invalid items <see cref="FirstInvalidItems"/> keeps (the service reports the first 100 too).</summary>
    public const int InvalidItemSampleSize = 100;

    public required BatchSpec Spec { get; init; }

    public required int Items { get; init; }

    public required int InvalidItems { get; init; }

    public required IReadOnlyDictionary<InvalidItemKind, int> InvalidByKind { get; init; }

    /// <summary>The first <see cref="InvalidItemSampleSize"/> invalid items, in batch order.</summary>
    public required IReadOnlyList<InvalidItem> FirstInvalidItems { get; init; }

    /// <summary>Bytes written to the output (compressed when gzip).</summary>
    public required long Bytes { get; init; }

    /// <summary>SHA-256 (lowercase hex) of the bytes written to the output, i.e. of the file.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Bytes of the body before compression (equals <see cref="Bytes"/> without gzip).</summary>
    public required long UncompressedBytes { get; init; }

    /// <summary>SHA-256 of the body before compression: stable across runtimes even where gzip bytes are not.</summary>
    public required string UncompressedSha256 { get; init; }

    /// <summary>The file written, when written by <see cref="BatchFile"/>.</summary>
    public string? Path { get; init; }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Path ?? "batch"}: {Items} items ({InvalidItems} invalid), {Spec.Format.ToString().ToLowerInvariant()}");
        if (Spec.Gzip)
            text.Append(CultureInfo.InvariantCulture, $" gzip ({UncompressedBytes} bytes uncompressed, sha256 {UncompressedSha256})");
        text.Append(CultureInfo.InvariantCulture, $", {Bytes} bytes, sha256 {Sha256}");
        if (InvalidItems > 0)
            text.Append("; invalid: ").AppendJoin(", ", InvalidByKind.Where(k => k.Value > 0).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.Key} {k.Value}")));
        return text.ToString();
    }
}
