using System.Buffers;
using System.Globalization;
using System.Text;

namespace Rates.Api.Batches;

/// <summary>
/// Reads CSV (RFC 4180: comma-separated, optional double quotes with "" for a quote, LF or CRLF line ends)
/// record by record straight from the body's UTF-8 bytes. The first line is the header
/// <c>orig_code,dest_code,day,price</c> (columns in any order, each exactly once); blank lines are skipped;
/// every other line is one item with exactly four fields, an empty field being a missing one.
/// </summary>
internal sealed class CsvBatchParser : IBatchParser
{
    public const string Header = "orig_code,dest_code,day,price";

    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    private readonly ItemBuilder _item;
    private readonly int _maxItemBytes;
    private readonly int[] _fieldOfColumn = new int[BatchFields.Count];
    private readonly Range[] _fields = new Range[BatchFields.Count];
    private byte[] _record = new byte[1024];
    private byte[] _unquoted = new byte[1024];
    private bool _startChecked;
    private bool _sawHeader;
    private long _line = 1;
    private int _index;

    public CsvBatchParser(PortCodeCache codes, BatchProblems problems, int maxItemBytes)
    {
        _item = new ItemBuilder(codes, problems);
        _maxItemBytes = maxItemBytes;
    }

    public int ItemsRead => _index;

    public SequencePosition Parse(ReadOnlySequence<byte> buffer, bool isFinalBlock, List<StagedItem> items)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!_startChecked)
        {
            if (buffer.Length < Utf8Bom.Length && !isFinalBlock)
            {
                return buffer.Start;
            }

            reader.IsNext(Utf8Bom, advancePast: true);
            _startChecked = true;
        }

        while (!reader.End)
        {
            var start = reader.Position;
            if (!TryReadRecord(ref reader, isFinalBlock, out var record, out var lines))
            {
                var pending = buffer.Slice(start).Length;
                if (pending > _maxItemBytes)
                {
                    throw BatchFormatException.At(
                        _line, null, string.Create(CultureInfo.InvariantCulture, $"the line is longer than {_maxItemBytes} bytes; an item is one short line."));
                }

                return start;
            }

            ParseRecord(record, items);
            _line += lines;
        }

        if (isFinalBlock && !_sawHeader)
        {
            throw BatchFormatException.At(1, 1, $"the body is empty. A CSV batch starts with the header line {Header}.");
        }

        return reader.Position;
    }

    /// <summary>
    /// The next record without its line end, and the number of line ends it spans. A line end inside double
    /// quotes belongs to the field: a record ends at the first line end after an even number of quotes.
    /// </summary>
    private bool TryReadRecord(ref SequenceReader<byte> reader, bool isFinalBlock, out ReadOnlySpan<byte> record, out int lines)
    {
        var probe = reader;
        var start = probe.Position;
        var quotes = 0L;
        lines = 0;
        while (true)
        {
            var pieceStart = probe.Position;
            if (probe.TryAdvanceTo((byte)'\n', advancePastDelimiter: true))
            {
                lines++;
                quotes += CountQuotes(reader.Sequence.Slice(pieceStart, probe.Position));
                if (quotes % 2 == 0)
                {
                    var withNewline = reader.Sequence.Slice(start, probe.Position);
                    record = Contiguous(withNewline.Slice(0, withNewline.Length - 1));
                    reader = probe;
                    return true;
                }

                continue;
            }

            if (!isFinalBlock)
            {
                record = default;
                return false;
            }

            // The last line of the body, without a line end.
            var rest = reader.Sequence.Slice(pieceStart);
            quotes += CountQuotes(rest);
            if (quotes % 2 != 0)
            {
                throw BatchFormatException.At(_line, null, "a quoted field is not closed: the body ends inside double quotes opened on this line or later.");
            }

            lines++;
            record = Contiguous(reader.Sequence.Slice(start));
            probe.AdvanceToEnd();
            reader = probe;
            return true;
        }
    }

    private void ParseRecord(ReadOnlySpan<byte> record, List<StagedItem> items)
    {
        if (!record.IsEmpty && record[^1] == (byte)'\r')
        {
            record = record[..^1];
        }

        if (record.IsEmpty)
        {
            return; // a blank line
        }

        var data = Split(record, out var count);
        if (!_sawHeader)
        {
            ReadHeader(data, count, record);
            _sawHeader = true;
            return;
        }

        if (count != BatchFields.Count)
        {
            throw BatchFormatException.At(
                _line, null, string.Create(CultureInfo.InvariantCulture, $"{count} field(s); every line has 4 ({Header}), an empty field for a missing value."));
        }

        _item.Begin();
        for (var column = 0; column < BatchFields.Count; column++)
        {
            var field = _fieldOfColumn[column];
            _item.MarkSeen(field);
            _item.Text(field, data[_fields[column]]);
        }

        items.Add(_item.Finish(_index, _line));
        _index++;
    }

    private void ReadHeader(ReadOnlySpan<byte> data, int count, ReadOnlySpan<byte> record)
    {
        var found = new bool[BatchFields.Count];
        var valid = count == BatchFields.Count;
        for (var column = 0; valid && column < count; column++)
        {
            var name = data[_fields[column]];
            var field = -1;
            for (var f = 0; f < BatchFields.Count; f++)
            {
                if (Ascii.Equals(name, BatchFields.Names[f]))
                {
                    field = f;
                }
            }

            if (field < 0 || found[field])
            {
                valid = false;
                break;
            }

            found[field] = true;
            _fieldOfColumn[column] = field;
        }

        if (!valid)
        {
            throw BatchFormatException.At(
                _line, null, $"the first line must be the CSV header {Header} (columns in any order), but it is '{ItemRules.Echo(record)}'.");
        }
    }

    /// <summary>Splits a record into <see cref="_fields"/> (ranges of the returned span) and counts its fields.</summary>
    private ReadOnlySpan<byte> Split(ReadOnlySpan<byte> record, out int count)
    {
        if (record.IndexOf((byte)'"') < 0)
        {
            count = 0;
            var start = 0;
            while (true)
            {
                var comma = record[start..].IndexOf((byte)',');
                var end = comma < 0 ? record.Length : start + comma;
                if (count < _fields.Length)
                {
                    _fields[count] = start..end;
                }

                count++;
                if (comma < 0)
                {
                    return record;
                }

                start = end + 1;
            }
        }

        return SplitQuoted(record, out count);
    }

    private ReadOnlySpan<byte> SplitQuoted(ReadOnlySpan<byte> record, out int count)
    {
        if (_unquoted.Length < record.Length)
        {
            _unquoted = new byte[Math.Max(record.Length, _unquoted.Length * 2)];
        }

        var output = _unquoted.AsSpan();
        int i = 0, o = 0;
        count = 0;
        while (true)
        {
            var fieldStart = o;
            if (i < record.Length && record[i] == (byte)'"')
            {
                i++;
                while (true)
                {
                    // TryReadRecord has seen an even number of quotes, so every opened quote closes.
                    var b = record[i++];
                    if (b != (byte)'"')
                    {
                        output[o++] = b;
                    }
                    else if (i < record.Length && record[i] == (byte)'"')
                    {
                        output[o++] = (byte)'"';
                        i++;
                    }
                    else
                    {
                        break;
                    }
                }

                if (i < record.Length && record[i] != (byte)',')
                {
                    throw BatchFormatException.At(_line, i + 1, "a closing double quote must be followed by a comma or the end of the line.");
                }
            }
            else
            {
                while (i < record.Length && record[i] != (byte)',')
                {
                    if (record[i] == (byte)'"')
                    {
                        throw BatchFormatException.At(_line, i + 1, "a double quote inside an unquoted field; quote the whole field and double the quote.");
                    }

                    output[o++] = record[i++];
                }
            }

            if (count < _fields.Length)
            {
                _fields[count] = fieldStart..o;
            }

            count++;
            if (i >= record.Length)
            {
                return output[..o];
            }

            i++; // the comma
        }
    }

    private ReadOnlySpan<byte> Contiguous(ReadOnlySequence<byte> sequence)
    {
        if (sequence.IsSingleSegment)
        {
            return sequence.FirstSpan;
        }

        if (_record.Length < sequence.Length)
        {
            _record = new byte[Math.Max(sequence.Length, _record.Length * 2)];
        }

        sequence.CopyTo(_record);
        return _record.AsSpan(0, (int)sequence.Length);
    }

    private static long CountQuotes(ReadOnlySequence<byte> sequence)
    {
        var quotes = 0L;
        foreach (var segment in sequence)
        {
            quotes += segment.Span.Count((byte)'"');
        }

        return quotes;
    }
}
