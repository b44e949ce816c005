using System.Globalization;
using Bogus;

namespace Rates.Synthetic;

/// <summary>One batch item; a null field is a missing field.</summary>
internal readonly record struct BatchItem(string? OrigCode, string? DestCode, string? Day, decimal? Price);

/// <summary>
/// Produces the items of a batch one at a time (nothing is held but the lanes). Three independent random
/// streams: the items themselves, which items are invalid, and how they are broken. So an item's valid
/// content does not depend on the invalid ratio, and an invalid item is a valid one broken in one field.
/// </summary>
internal sealed class BatchItemGenerator
{
    private static readonly InvalidItemKind[] KindCycle = Enum.GetValues<InvalidItemKind>();
    private const string Letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static readonly string[] Fields = ["orig_code", "dest_code", "day", "price"];
    private static readonly decimal[] Fractions = [0.5m, 0.25m, 0.75m, 0.1m, 0.9m];

    private readonly BatchSpec _spec;
    private readonly PortCatalog _catalog;
    private readonly IReadOnlyList<Lane> _lanes;
    private readonly Randomizer _items;
    private readonly Randomizer _pick;
    private readonly Randomizer _corrupt;
    private int _remainingItems;
    private int _remainingInvalid;
    private int _invalidOrdinal;

    public BatchItemGenerator(BatchSpec spec, PortCatalog catalog)
    {
        _spec = spec;
        _catalog = catalog;
        _lanes = LaneGenerator.Generate(catalog, spec.Seed, spec.Lanes);
        _items = RandomStreams.For(spec.Seed, "batch/items");
        _pick = RandomStreams.For(spec.Seed, "batch/invalid-pick");
        _corrupt = RandomStreams.For(spec.Seed, "batch/invalid-corrupt");
        _remainingItems = spec.Items;
        _remainingInvalid = spec.InvalidItems;
    }

    public BatchItem Next(int index, out InvalidItem? invalid)
    {
        var lane = _lanes[_items.Number(0, _lanes.Count - 1)];
        var day = _spec.StartDay.AddDays(_items.Number(0, _spec.Days - 1));
        var price = Math.Max(1, lane.BasePrice + lane.BasePrice * _items.Number(-150, 150) / 1000);
        var item = new BatchItem(lane.OrigCode, lane.DestCode, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), price);

        // Selection sampling (Knuth's algorithm S): exactly InvalidItems picks, spread over the batch, O(1) memory.
        var isInvalid = _remainingInvalid > 0 && _pick.Number(0, _remainingItems - 1) < _remainingInvalid;
        _remainingItems--;
        if (!isInvalid)
        {
            invalid = null;
            return item;
        }

        _remainingInvalid--;
        var kind = KindCycle[_invalidOrdinal++ % KindCycle.Length];
        (item, var field) = Break(item, kind, day, price);
        invalid = new InvalidItem(index, kind, field);
        return item;
    }

    private (BatchItem Item, string Field) Break(BatchItem item, InvalidItemKind kind, DateOnly day, int price)
    {
        switch (kind)
        {
            case InvalidItemKind.UnknownPortCode:
                // "ZZ" is not an ISO 3166 country, so the code is well-formed yet no real port.
                string code;
                do
                    code = "ZZ" + _corrupt.String2(3, Letters);
                while (_catalog.ContainsPort(code));
                return _corrupt.Bool() ? (item with { OrigCode = code }, "orig_code") : (item with { DestCode = code }, "dest_code");

            case InvalidItemKind.BadDate:
                var badDates = BadDates(day);
                return (item with { Day = badDates[_corrupt.Number(0, badDates.Length - 1)] }, "day");

            case InvalidItemKind.NonPositivePrice:
                var nonPositive = _corrupt.Number(0, 3) == 0 ? 0 : -_corrupt.Number(1, price);
                return (item with { Price = nonPositive }, "price");

            case InvalidItemKind.NonIntegerPrice:
                return (item with { Price = price + Fractions[_corrupt.Number(0, Fractions.Length - 1)] }, "price");

            case InvalidItemKind.MissingField:
                var field = Fields[_corrupt.Number(0, Fields.Length - 1)];
                return field switch
                {
                    "orig_code" => (item with { OrigCode = null }, field),
                    "dest_code" => (item with { DestCode = null }, field),
                    "day" => (item with { Day = null }, field),
                    _ => (item with { Price = null }, field),
                };

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown invalid item kind.");
        }
    }

    // Impossible calendar dates in the right shape, near the item's own day; none is an
    // alternative spelling a lenient parser might accept.
    private static string[] BadDates(DateOnly day)
    {
        var y = day.Year.ToString("D4", CultureInfo.InvariantCulture);
        var m = day.Month.ToString("D2", CultureInfo.InvariantCulture);
        var d = day.Day.ToString("D2", CultureInfo.InvariantCulture);
        var nonLeap = (DateTime.IsLeapYear(day.Year) ? day.Year + 1 : day.Year).ToString("D4", CultureInfo.InvariantCulture);
        return
        [
            $"{y}-02-30", $"{y}-02-31", $"{y}-04-31", $"{y}-06-31", $"{y}-09-31", $"{y}-11-31",
            $"{nonLeap}-02-29", $"{y}-13-{d}", $"{y}-00-{d}", $"{y}-{m}-00", $"{y}-{m}-32", "not-a-date",
        ];
    }
}
