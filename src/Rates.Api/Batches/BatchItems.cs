using System.Text.Json.Serialization;

namespace Rates.Api.Batches;

/// <summary>The fields of a batch item, in the order their problems are reported.</summary>
internal static class BatchFields
{
    public const int OrigCode = 0;
    public const int DestCode = 1;
    public const int Day = 2;
    public const int Price = 3;
    public const int Count = 4;

    public static readonly string[] Names = ["orig_code", "dest_code", "day", "price"];

    public static int Rank(string? field) => field is null ? -1 : Array.IndexOf(Names, field);
}

/// <summary>Why an item is invalid: short, stable phrases a client can match on.</summary>
internal static class InvalidReasons
{
    public const string MissingField = "missing field";
    public const string UnknownPortCode = "unknown port code";
    public const string InvalidPortCode = "invalid port code";
    public const string BadDate = "bad date";
    public const string NonPositivePrice = "non-positive price";
    public const string NonIntegerPrice = "non-integer price";
    public const string PriceTooLarge = "price too large";
    public const string NotAString = "not a string";
    public const string NotANumber = "not a number";
    public const string NotAnObject = "not an object";
    public const string DuplicateField = "duplicate field";

    /// <summary>The rules behind the reasons, for the 422 answer's detail.</summary>
    public const string Rules =
        "Each item needs orig_code and dest_code (codes of known ports), day (a calendar date written YYYY-MM-DD, from 1900-01-01 to 2999-12-31) " +
        "and price (a positive integer of at most 2147483647).";
}

/// <summary>
/// One problem of one invalid item. <see cref="Index"/> is the item's 0-based position in the batch (JSON array
/// index); <see cref="Line"/> the 1-based CSV line (the header is line 1); <see cref="Value"/> the offending
/// value as sent, shortened to 64 bytes, when there is one.
/// </summary>
public sealed record InvalidBatchItem(
    int Index,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Line,
    string? Field,
    string Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Value);

/// <summary>An item as it goes into the staging table: invalid fields are null and <see cref="Valid"/> is false.</summary>
internal readonly record struct StagedItem(int Index, long? Line, string? OrigCode, string? DestCode, DateOnly? Day, int? Price, bool Valid);

/// <summary>
/// The invalid items found while parsing: the number of invalid items and the first problems, in batch order
/// (items are parsed in order, so the first <see cref="SampleSize"/> problems found are the first in the batch).
/// </summary>
internal sealed class BatchProblems
{
    /// <summary>A 422 answer lists this many problems at most.</summary>
    public const int SampleSize = 100;

    private readonly List<InvalidBatchItem> _sample = [];
    private int _lastInvalidIndex = -1;

    /// <summary>Items with at least one problem.</summary>
    public int InvalidItems { get; private set; }

    public IReadOnlyList<InvalidBatchItem> Sample => _sample;

    /// <summary>False once the sample is full: callers skip the cost of describing further problems.</summary>
    public bool WantsDetails => _sample.Count < SampleSize;

    public void Add(int index, long? line, string? field, string reason, string? value)
    {
        if (index != _lastInvalidIndex)
        {
            InvalidItems++;
            _lastInvalidIndex = index;
        }

        if (_sample.Count < SampleSize)
        {
            _sample.Add(new InvalidBatchItem(index, line, field, reason, value));
        }
    }

    /// <summary>
    /// The first <see cref="SampleSize"/> problems of this sample and <paramref name="others"/> (another sample of
    /// first problems in batch order, e.g. unknown port codes found by the database), in batch order.
    /// </summary>
    public IReadOnlyList<InvalidBatchItem> MergeSample(IReadOnlyList<InvalidBatchItem> others) =>
        _sample.Concat(others)
            .OrderBy(p => p.Index)
            .ThenBy(p => BatchFields.Rank(p.Field))
            .Take(SampleSize)
            .ToArray();
}
