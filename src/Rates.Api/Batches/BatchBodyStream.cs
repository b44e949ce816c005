using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Rates.Api.Batches;

/// <summary>
/// The request body as the parsers see it: decompressed when gzip, SHA-256-hashed and counted as it is read
/// (so the content hash costs no second pass and no buffering), and cut off at Batches:MaxBodyBytes.
/// Read-only and forward-only.
/// </summary>
internal sealed class BatchBodyStream : Stream
{
    private readonly Stream _source;
    private readonly GZipStream? _gzip;
    private readonly long _maxBytes;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _bytes;

    public BatchBodyStream(Stream body, bool gzip, long maxBytes)
    {
        _gzip = gzip ? new GZipStream(body, CompressionMode.Decompress, leaveOpen: true) : null;
        _source = _gzip ?? body;
        _maxBytes = maxBytes;
    }

    /// <summary>Bytes read so far (decompressed).</summary>
    public long BytesRead => _bytes;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _bytes;
        set => throw new NotSupportedException();
    }

    /// <summary>The lowercase hex SHA-256 of everything read; call once, after the body has been read to its end.</summary>
    public string FinishHash() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    /// <summary>Reads the rest of the body, only to hash it.</summary>
    public async Task ReadToEndAsync(CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await ReadAsync(buffer, cancellationToken) > 0)
            {
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await _source.ReadAsync(buffer, cancellationToken);
        }
        catch (InvalidDataException ex) when (_gzip is not null)
        {
            throw BatchFormatException.Body($"The body is not valid gzip data ({ex.Message}). Send it uncompressed, or compressed with gzip and Content-Encoding: gzip.");
        }

        Count(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Kestrel forbids synchronous body reads; every reader of this stream reads asynchronously.
    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("The batch body is read asynchronously only.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip?.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Count(ReadOnlySpan<byte> data)
    {
        _bytes += data.Length;
        if (_bytes > _maxBytes)
        {
            throw new BatchTooLargeException(string.Create(
                CultureInfo.InvariantCulture,
                $"The batch body is larger than {_maxBytes} bytes (Batches:MaxBodyBytes, counted after decompression). Split it into smaller batches."));
        }

        _hash.AppendData(data);
    }
}
