namespace Rates.Api.Batches;

/// <summary>
/// Collects the fields of the item being parsed and its problems; both parsers feed it raw UTF-8 values. Nothing
/// reaches the batch until <see cref="Finish"/>, so a parser that runs out of buffered data in the middle of an
/// item can simply start the item again once more data has arrived.
/// </summary>
internal sealed class ItemBuilder(PortCodeCache codes, BatchProblems problems)
{
    private readonly List<(int Field, string Reason, string? Value)> _problems = new(4);
    private readonly bool[] _seen = new bool[BatchFields.Count];
    private string? _origCode;
    private string? _destCode;
    private DateOnly? _day;
    private int? _price;

    public void Begin()
    {
        _problems.Clear();
        Array.Clear(_seen);
        _origCode = null;
        _destCode = null;
        _day = null;
        _price = null;
    }

    /// <summary>True when the field was given already; a second value is reported, not used.</summary>
    public bool MarkSeen(int field)
    {
        if (_seen[field])
        {
            Problem(field, InvalidReasons.DuplicateField, default, echo: false);
            return true;
        }

        _seen[field] = true;
        return false;
    }

    /// <summary>A JSON null or an empty CSV value.</summary>
    public void Missing(int field) => Problem(field, InvalidReasons.MissingField, default, echo: false);

    public void Problem(int field, string reason, ReadOnlySpan<byte> value, bool echo = true) =>
        _problems.Add((field, reason, echo && problems.WantsDetails ? ItemRules.Echo(value) : null));

    public void Text(int field, ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            Missing(field);
            return;
        }

        switch (field)
        {
            case BatchFields.OrigCode or BatchFields.DestCode:
                if (ItemRules.CheckCode(utf8) is { } reason)
                {
                    Problem(field, reason, utf8);
                    return;
                }

                var code = codes.Get(utf8);
                if (field == BatchFields.OrigCode)
                {
                    _origCode = code;
                }
                else
                {
                    _destCode = code;
                }

                return;

            case BatchFields.Day:
                if (ItemRules.TryParseDay(utf8, out var day))
                {
                    _day = day;
                }
                else
                {
                    Problem(field, InvalidReasons.BadDate, utf8);
                }

                return;

            default:
                Number(field, utf8);
                return;
        }
    }

    /// <summary>A number: valid only for price.</summary>
    public void Number(int field, ReadOnlySpan<byte> text)
    {
        if (field != BatchFields.Price)
        {
            Problem(field, field == BatchFields.Day ? InvalidReasons.BadDate : InvalidReasons.NotAString, text);
            return;
        }

        switch (ItemRules.ClassifyPrice(text, out var price))
        {
            case ItemRules.PriceCheck.Valid:
                _price = price;
                break;
            case ItemRules.PriceCheck.NonInteger:
                Problem(field, InvalidReasons.NonIntegerPrice, text);
                break;
            case ItemRules.PriceCheck.NonPositive:
                Problem(field, InvalidReasons.NonPositivePrice, text);
                break;
            case ItemRules.PriceCheck.TooLarge:
                Problem(field, InvalidReasons.PriceTooLarge, text);
                break;
            default:
                Problem(field, InvalidReasons.NotANumber, text);
                break;
        }
    }

    /// <summary>
    /// Ends the item: fields never given are missing; problems go to the batch's list in field order; the item
    /// is staged even when invalid, so the database can still report its unknown port codes.
    /// </summary>
    public StagedItem Finish(int index, long? line)
    {
        for (var field = 0; field < BatchFields.Count; field++)
        {
            if (!_seen[field])
            {
                Missing(field);
            }
        }

        if (_problems.Count > 1)
        {
            _problems.Sort(static (a, b) => a.Field.CompareTo(b.Field));
        }

        foreach (var (field, reason, value) in _problems)
        {
            problems.Add(index, line, BatchFields.Names[field], reason, value);
        }

        return new StagedItem(index, line, _origCode, _destCode, _day, _price, _problems.Count == 0);
    }
}
