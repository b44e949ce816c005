namespace Rates.Api.Batches;

/// <summary>
/// The parsed items of one upload, kept until the database takes them: in memory up to
/// Batches:SpoolMemoryBytes, then in a temporary file that is deleted when the spool is disposed. The upload is
/// read from the network into the spool before a database connection is taken, so a slow client holds no
/// connection and no transaction; the copy into the database then runs at local speed. About 40 bytes an item.
/// </summary>
internal sealed class BatchSpool : IAsyncDisposable
{
    private const byte HasLine = 1, HasOrig = 2, HasDest = 4, HasDay = 8, HasPrice = 16, IsValid = 32;

    private readonly long _memoryBytes;
    private Stream _stream = new MemoryStream();
    private BinaryWriter _writer;

    public BatchSpool(long memoryBytes)
    {
        _memoryBytes = memoryBytes;
        _writer = new BinaryWriter(_stream, System.Text.Encoding.UTF8, leaveOpen: true);
    }

    public int Count { get; private set; }

    /// <summary>True once the items outgrew memory and went to a temporary file.</summary>
    public bool OnDisk => _stream is FileStream;

    public void Add(List<StagedItem> items)
    {
        foreach (var item in items)
        {
            Write(item);
        }

        _writer.Flush();
        if (!OnDisk && _stream.Length > _memoryBytes)
        {
            MoveToDisk();
        }
    }

    /// <summary>Every item, in the order added; may be read more than once (a retry of the database work).</summary>
    public IEnumerable<StagedItem> Read()
    {
        _writer.Flush();
        _stream.Position = 0;
        using var reader = new BinaryReader(_stream, System.Text.Encoding.UTF8, leaveOpen: true);
        for (var i = 0; i < Count; i++)
        {
            var flags = reader.ReadByte();
            var index = reader.ReadInt32();
            long? line = (flags & HasLine) != 0 ? reader.ReadInt64() : null;
            var orig = (flags & HasOrig) != 0 ? reader.ReadString() : null;
            var dest = (flags & HasDest) != 0 ? reader.ReadString() : null;
            DateOnly? day = (flags & HasDay) != 0 ? DateOnly.FromDayNumber(reader.ReadInt32()) : null;
            int? price = (flags & HasPrice) != 0 ? reader.ReadInt32() : null;
            yield return new StagedItem(index, line, orig, dest, day, price, (flags & IsValid) != 0);
        }

        _stream.Seek(0, SeekOrigin.End);
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        await _stream.DisposeAsync();
    }

    private void Write(StagedItem item)
    {
        var flags = (byte)((item.Line is null ? 0 : HasLine) | (item.OrigCode is null ? 0 : HasOrig) | (item.DestCode is null ? 0 : HasDest)
            | (item.Day is null ? 0 : HasDay) | (item.Price is null ? 0 : HasPrice) | (item.Valid ? IsValid : 0));
        _writer.Write(flags);
        _writer.Write(item.Index);
        if (item.Line is { } line)
        {
            _writer.Write(line);
        }

        if (item.OrigCode is { } orig)
        {
            _writer.Write(orig);
        }

        if (item.DestCode is { } dest)
        {
            _writer.Write(dest);
        }

        if (item.Day is { } day)
        {
            _writer.Write(day.DayNumber);
        }

        if (item.Price is { } price)
        {
            _writer.Write(price);
        }

        Count++;
    }

    private void MoveToDisk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rates-batch-{Guid.NewGuid():N}.spool");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = 64 * 1024,
            Options = FileOptions.DeleteOnClose,
        };
        if (!OperatingSystem.IsWindows())
        {
            // Prices are nobody else's business on a shared machine.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var file = new FileStream(path, options);
        _stream.Position = 0;
        _stream.CopyTo(file);
        _writer.Dispose();
        _stream.Dispose();
        _stream = file;
        _writer = new BinaryWriter(_stream, System.Text.Encoding.UTF8, leaveOpen: true);
    }
}
