using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Rates.Api.Batches;

/// <summary>
/// Reads <c>{"prices": [{"orig_code": "CNSGH", "dest_code": "NLRTM", "day": "2021-01-05", "price": 1234}, ...]}</c>
/// item by item with <see cref="Utf8JsonReader"/>, carrying its state from one buffer to the next, so the
/// document is never held whole. Other members of the root object and of items are ignored.
/// </summary>
internal sealed class JsonBatchParser : IBatchParser
{
    private const string ShapeHint = "A JSON batch is an object with a \"prices\" array: {\"prices\": [{\"orig_code\": ..., \"dest_code\": ..., \"day\": ..., \"price\": ...}, ...]}.";

    private readonly ItemBuilder _item;
    private readonly BatchProblems _problems;
    private readonly int _maxItemBytes;
    private JsonReaderState _state = new(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
    private TextPosition _position = new();
    private Phase _phase;
    private bool _sawPrices;
    private int _index;
    private byte[] _scratch = new byte[256];

    public JsonBatchParser(PortCodeCache codes, BatchProblems problems, int maxItemBytes)
    {
        _item = new ItemBuilder(codes, problems);
        _problems = problems;
        _maxItemBytes = maxItemBytes;
    }

    private enum Phase
    {
        Start,
        Root,
        Items,
        Done,
    }

    public int ItemsRead => _index;

    public SequencePosition Parse(ReadOnlySequence<byte> buffer, bool isFinalBlock, List<StagedItem> items)
    {
        if (isFinalBlock && _phase == Phase.Start && IsWhitespace(buffer))
        {
            throw BatchFormatException.At(1, 1, $"the body is empty. {ShapeHint}");
        }

        var reader = new Utf8JsonReader(buffer, isFinalBlock, _state);
        try
        {
            while (true)
            {
                // A step either completes (a whole item, a whole ignored member, ...) or, short of data, is
                // undone by going back to the copy taken before it.
                var checkpoint = reader;
                if (!Step(ref reader, buffer, items))
                {
                    reader = checkpoint;
                    break;
                }
            }
        }
        catch (JsonException ex)
        {
            // The reader's own positions are 0-based; ours are 1-based like an editor's.
            var line = (ex.LineNumber ?? 0) + 1;
            var position = (ex.BytePositionInLine ?? 0) + 1;
            throw BatchFormatException.At(line, position, $"not valid JSON: {ReaderProblem(ex.Message)}");
        }

        if (isFinalBlock && _phase != Phase.Done)
        {
            var at = _position.At(buffer, reader.BytesConsumed);
            throw BatchFormatException.At(at.Line, at.Column, $"the JSON body ends before the document is complete. {ShapeHint}");
        }

        var unused = buffer.Length - reader.BytesConsumed;
        if (unused > _maxItemBytes)
        {
            var at = _position.At(buffer, reader.BytesConsumed);
            throw BatchFormatException.At(
                at.Line,
                at.Column,
                string.Create(CultureInfo.InvariantCulture, $"an item or value longer than {_maxItemBytes} bytes starts here; items are small objects."));
        }

        _position.Advance(buffer.Slice(0, reader.BytesConsumed));
        _state = reader.CurrentState;
        return reader.Position;
    }

    private bool Step(ref Utf8JsonReader reader, ReadOnlySequence<byte> buffer, List<StagedItem> items)
    {
        switch (_phase)
        {
            case Phase.Start:
                if (!reader.Read())
                {
                    return false;
                }

                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw Structure(ref reader, buffer, $"the body is not a JSON object. {ShapeHint}");
                }

                _phase = Phase.Root;
                return true;

            case Phase.Root:
                if (!reader.Read())
                {
                    return false;
                }

                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    if (!_sawPrices)
                    {
                        throw Structure(ref reader, buffer, $"the JSON body has no \"prices\" member. {ShapeHint}");
                    }

                    _phase = Phase.Done;
                    return true;
                }

                if (!reader.ValueTextEquals("prices"u8))
                {
                    return reader.TrySkip();
                }

                if (_sawPrices)
                {
                    throw Structure(ref reader, buffer, "the JSON body has more than one \"prices\" member.");
                }

                if (!reader.Read())
                {
                    return false;
                }

                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw Structure(ref reader, buffer, $"\"prices\" must be an array. {ShapeHint}");
                }

                _sawPrices = true;
                _phase = Phase.Items;
                return true;

            case Phase.Items:
                if (!reader.Read())
                {
                    return false;
                }

                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    _phase = Phase.Root;
                    return true;
                }

                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    if (reader.TokenType == JsonTokenType.StartArray && !reader.TrySkip())
                    {
                        return false;
                    }

                    _problems.Add(_index, null, null, InvalidReasons.NotAnObject, null);
                    _index++;
                    return true;
                }

                if (!ReadItem(ref reader))
                {
                    return false;
                }

                items.Add(_item.Finish(_index, null));
                _index++;
                return true;

            default:
                // Only whitespace may follow the document; the reader throws on anything else.
                return reader.Read();
        }
    }

    /// <summary>Reads one item object, the reader on its StartObject; false when the buffer ends inside it.</summary>
    private bool ReadItem(ref Utf8JsonReader reader)
    {
        _item.Begin();
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            var field = FieldOf(ref reader);
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                if (!reader.TrySkip())
                {
                    return false;
                }

                if (field >= 0 && !_item.MarkSeen(field))
                {
                    _item.Problem(field, WrongTypeReason(field), default, echo: false);
                }

                continue;
            }

            if (field < 0 || _item.MarkSeen(field))
            {
                continue;
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    if (!TryGetString(ref reader, out var text))
                    {
                        _item.Problem(field, field == BatchFields.Day ? InvalidReasons.BadDate : InvalidReasons.InvalidPortCode, default, echo: false);
                    }
                    else if (field == BatchFields.Price)
                    {
                        // A price is a JSON number; "1234" in quotes is refused rather than guessed at.
                        _item.Problem(field, InvalidReasons.NotANumber, text);
                    }
                    else
                    {
                        _item.Text(field, text);
                    }

                    break;

                case JsonTokenType.Number:
                    _item.Number(field, Raw(ref reader));
                    break;

                case JsonTokenType.Null:
                    _item.Missing(field);
                    break;

                default: // true or false
                    _item.Problem(field, WrongTypeReason(field), reader.TokenType == JsonTokenType.True ? "true"u8 : "false"u8);
                    break;
            }
        }
    }

    private static bool IsWhitespace(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            if (segment.Span.IndexOfAnyExcept(" \t\r\n"u8) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private static int FieldOf(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("orig_code"u8))
        {
            return BatchFields.OrigCode;
        }

        if (reader.ValueTextEquals("dest_code"u8))
        {
            return BatchFields.DestCode;
        }

        if (reader.ValueTextEquals("day"u8))
        {
            return BatchFields.Day;
        }

        return reader.ValueTextEquals("price"u8) ? BatchFields.Price : -1;
    }

    private static string WrongTypeReason(int field) => field switch
    {
        BatchFields.Price => InvalidReasons.NotANumber,
        BatchFields.Day => InvalidReasons.BadDate,
        _ => InvalidReasons.NotAString,
    };

    /// <summary>The unescaped UTF-8 of a string token; false when it is not valid UTF-8 (or UTF-16 escapes).</summary>
    private bool TryGetString(ref Utf8JsonReader reader, out ReadOnlySpan<byte> text)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            text = reader.ValueSpan;
            return true;
        }

        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        EnsureScratch(length);
        try
        {
            var written = reader.CopyString(_scratch);
            text = _scratch.AsSpan(0, written);
            return true;
        }
        catch (InvalidOperationException)
        {
            text = default;
            return false;
        }
    }

    /// <summary>The bytes of a number token as written.</summary>
    private ReadOnlySpan<byte> Raw(ref Utf8JsonReader reader)
    {
        if (!reader.HasValueSequence)
        {
            return reader.ValueSpan;
        }

        var sequence = reader.ValueSequence;
        EnsureScratch(sequence.Length);
        sequence.CopyTo(_scratch);
        return _scratch.AsSpan(0, (int)sequence.Length);
    }

    private void EnsureScratch(long length)
    {
        if (_scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
        }
    }

    private BatchFormatException Structure(ref Utf8JsonReader reader, ReadOnlySequence<byte> buffer, string problem)
    {
        var at = _position.At(buffer, reader.TokenStartIndex);
        return BatchFormatException.At(at.Line, at.Column, problem);
    }

    /// <summary>
    /// The reader's message without its own 0-based "LineNumber: 0 | BytePositionInLine: 5." (ours are 1-based and
    /// come first) and without advice meant for programmers ("Change the reader options.").
    /// </summary>
    private static string ReaderProblem(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var problem = (at < 0 ? message : message[..at]).Replace(" Change the reader options.", "", StringComparison.Ordinal).Trim();
        return problem.EndsWith('.') ? problem : problem + ".";
    }
}
