using System.Buffers;

namespace Rates.Api.Batches;

/// <summary>
/// An incremental parser of a batch body. It is handed whatever the body pipe has buffered, parses every
/// complete item in it and says how far it got; the rest is handed to it again with more data appended.
/// </summary>
internal interface IBatchParser
{
    /// <summary>Items seen so far, valid or not.</summary>
    int ItemsRead { get; }

    /// <summary>
    /// Parses the complete items in <paramref name="buffer"/> into <paramref name="items"/> and returns the
    /// position up to which the buffer was used. With <paramref name="isFinalBlock"/> the buffer holds the end
    /// of the body and everything must be used.
    /// </summary>
    /// <exception cref="BatchFormatException">The body is not a valid document of the format.</exception>
    SequencePosition Parse(ReadOnlySequence<byte> buffer, bool isFinalBlock, List<StagedItem> items);
}

/// <summary>Tracks the 1-based line and byte position of the bytes a parser has used, for error messages.</summary>
internal struct TextPosition
{
    public TextPosition()
    {
    }

    public long Line { get; private set; } = 1;

    /// <summary>1-based byte position within <see cref="Line"/> of the next byte.</summary>
    public long Column { get; private set; } = 1;

    public void Advance(ReadOnlySequence<byte> used)
    {
        foreach (var segment in used)
        {
            var span = segment.Span;
            var lastNewline = span.LastIndexOf((byte)'\n');
            if (lastNewline < 0)
            {
                Column += span.Length;
            }
            else
            {
                Line += span.Count((byte)'\n');
                Column = span.Length - lastNewline;
            }
        }
    }

    /// <summary>Where the byte at <paramref name="offset"/> of <paramref name="buffer"/> (which starts here) is.</summary>
    public readonly TextPosition At(ReadOnlySequence<byte> buffer, long offset)
    {
        var copy = this;
        copy.Advance(buffer.Slice(0, Math.Min(offset, buffer.Length)));
        return copy;
    }
}
