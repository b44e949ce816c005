using System.Text;
using System.Text.Unicode;
using Rates.Api.Calendar;

namespace Rates.Api.Batches;

/// <summary>
/// The syntactic rules for item values, applied to the raw UTF-8 bytes of a JSON token or CSV field without
/// allocating. Whether a port code names a port is checked later, by the database, for the whole batch at once.
/// </summary>
internal static class ItemRules
{
    /// <summary>Port codes are UN/LOCODEs (5 characters); anything much longer cannot be a port and is not echoed back.</summary>
    public const int MaxCodeBytes = 64;

    /// <summary>Values quoted in a 422 answer are cut to this many bytes.</summary>
    public const int MaxEchoedValueBytes = 64;

    public enum PriceCheck
    {
        Valid,
        NotANumber,
        NonInteger,
        NonPositive,
        TooLarge,
    }

    /// <summary>
    /// A port code: 1 to 64 bytes of valid UTF-8 without control characters (PostgreSQL text cannot hold NUL,
    /// and such a code could never name a port). Null when valid, else the reason.
    /// </summary>
    public static string? CheckCode(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxCodeBytes || !Utf8.IsValid(utf8))
        {
            return InvalidReasons.InvalidPortCode;
        }

        foreach (var b in utf8)
        {
            if (b < 0x20 || b == 0x7F)
            {
                return InvalidReasons.InvalidPortCode;
            }
        }

        return null;
    }

    /// <summary>
    /// A strict ISO 8601 calendar date, exactly <c>YYYY-MM-DD</c> (unlike /rates, which accepts the original's
    /// one-digit months and days, batches are machine-written and must be unambiguous), in the range of
    /// <see cref="CalendarDays"/>.
    /// </summary>
    public static bool TryParseDay(ReadOnlySpan<byte> text, out DateOnly day)
    {
        day = default;
        if (text.Length != 10 || text[4] != (byte)'-' || text[7] != (byte)'-')
        {
            return false;
        }

        if (!TryDigits(text[..4], out var year) || !TryDigits(text.Slice(5, 2), out var month) || !TryDigits(text.Slice(8, 2), out var dayOfMonth))
        {
            return false;
        }

        return CalendarDays.TryCreate(year, month, dayOfMonth, out day);
    }

    /// <summary>
    /// Classifies a number written as JSON writes numbers (<c>-?digits(.digits)?([eE][+-]?digits)?</c>; leading
    /// zeros allowed for CSV) exactly, without floating point: <c>1234</c>, <c>1234.0</c> and <c>1.234e3</c> are
    /// the integer 1234; <c>1234.5</c> is not an integer; <c>0</c> and <c>-5</c> are not positive.
    /// </summary>
    public static PriceCheck ClassifyPrice(ReadOnlySpan<byte> text, out int price)
    {
        price = 0;

        // The common case: a plain positive integer.
        if (text.Length is > 0 and <= 10 && text[0] != (byte)'0' && AllDigits(text))
        {
            var plain = 0L;
            foreach (var b in text)
            {
                plain = (plain * 10) + (b - '0');
            }

            if (plain > int.MaxValue)
            {
                return PriceCheck.TooLarge;
            }

            price = (int)plain;
            return PriceCheck.Valid;
        }

        var i = 0;
        var negative = i < text.Length && text[i] == (byte)'-';
        if (negative)
        {
            i++;
        }

        var integerStart = i;
        while (i < text.Length && IsDigit(text[i]))
        {
            i++;
        }

        var integerDigits = text[integerStart..i];
        if (integerDigits.IsEmpty)
        {
            return PriceCheck.NotANumber;
        }

        var fractionDigits = ReadOnlySpan<byte>.Empty;
        if (i < text.Length && text[i] == (byte)'.')
        {
            var fractionStart = ++i;
            while (i < text.Length && IsDigit(text[i]))
            {
                i++;
            }

            fractionDigits = text[fractionStart..i];
            if (fractionDigits.IsEmpty)
            {
                return PriceCheck.NotANumber;
            }
        }

        long exponent = 0;
        if (i < text.Length && (text[i] == (byte)'e' || text[i] == (byte)'E'))
        {
            i++;
            var negativeExponent = false;
            if (i < text.Length && (text[i] == (byte)'+' || text[i] == (byte)'-'))
            {
                negativeExponent = text[i] == (byte)'-';
                i++;
            }

            var exponentStart = i;
            while (i < text.Length && IsDigit(text[i]))
            {
                // Saturates: any exponent beyond a few thousand decides the same way.
                exponent = Math.Min((exponent * 10) + (text[i] - '0'), 1_000_000);
                i++;
            }

            if (i == exponentStart)
            {
                return PriceCheck.NotANumber;
            }

            if (negativeExponent)
            {
                exponent = -exponent;
            }
        }

        if (i != text.Length)
        {
            return PriceCheck.NotANumber;
        }

        // The value is D x 10^(exponent - fraction length), D the digits of the integer and fraction parts
        // together. Only D's significant part (first to last non-zero digit) matters.
        var first = integerDigits.IndexOfAnyExcept((byte)'0');
        if (first < 0)
        {
            var inFraction = fractionDigits.IndexOfAnyExcept((byte)'0');
            if (inFraction < 0)
            {
                return PriceCheck.NonPositive; // zero, however written
            }

            first = integerDigits.Length + inFraction;
        }

        var lastInFraction = fractionDigits.LastIndexOfAnyExcept((byte)'0');
        var last = lastInFraction >= 0 ? integerDigits.Length + lastInFraction : integerDigits.LastIndexOfAnyExcept((byte)'0');
        var totalDigits = integerDigits.Length + fractionDigits.Length;
        var scale = exponent - fractionDigits.Length + (totalDigits - 1 - last);

        if (scale < 0)
        {
            return PriceCheck.NonInteger;
        }

        if (negative)
        {
            return PriceCheck.NonPositive;
        }

        if (last - first + 1 + scale > 10)
        {
            return PriceCheck.TooLarge;
        }

        var value = 0L;
        for (var k = first; k <= last; k++)
        {
            var digit = k < integerDigits.Length ? integerDigits[k] : fractionDigits[k - integerDigits.Length];
            value = (value * 10) + (digit - '0');
        }

        for (var s = 0; s < scale; s++)
        {
            value *= 10;
        }

        if (value > int.MaxValue)
        {
            return PriceCheck.TooLarge;
        }

        price = (int)value;
        return PriceCheck.Valid;
    }

    /// <summary>The value as it may be quoted back to the client: cut to a few bytes, invalid UTF-8 replaced.</summary>
    public static string Echo(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length <= MaxEchoedValueBytes)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        return Encoding.UTF8.GetString(utf8[..MaxEchoedValueBytes]) + "...";
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var b in text)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }

    private static bool AllDigits(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
        {
            if (!IsDigit(b))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';
}
