using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace Rates.Api.Batches;

/// <summary>
/// The request body as the parsers see it: decompressed when gzip, SHA-256-hashed and counted as it is read
/// (so the content hash costs no second pass and no buffering), and cut off at Batches:MaxBodyBytes.
/// A gzip body is held to the format strictly: it inflates at most Batches:MaxCompressionRatio times (a
/// "gzip bomb" ends early), and it is exactly one gzip member whose trailer (CRC-32 and length) matches what
/// was inflated, so a truncated stream or trailing data is refused instead of half-read. Read-only and
/// forward-only.
/// </summary>
internal sealed class BatchBodyStream : AsyncReadOnlyStream
{
    /// <summary>Inflated bytes allowed before the ratio applies: a small body may compress far better than a large one.</summary>
    internal const long RatioAllowanceBytes = 1024 * 1024;

    private readonly Stream _source;
    private readonly WireStream? _wire;
    private readonly GZipStream? _gzip;
    private readonly long _maxBytes;
    private readonly int _maxRatio;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Crc32? _crc;
    private long _bytes;
    private bool _ended;

    public BatchBodyStream(Stream body, bool gzip, long maxBytes, int maxCompressionRatio)
    {
        if (gzip)
        {
            _wire = new WireStream(body);
            _gzip = new GZipStream(_wire, CompressionMode.Decompress, leaveOpen: true);
            _crc = new Crc32();
        }

        _source = _gzip ?? body;
        _maxBytes = maxBytes;
        _maxRatio = maxCompressionRatio;
    }

    /// <summary>Bytes read so far (decompressed).</summary>
    public long BytesRead => _bytes;

    protected override long ReadSoFar => _bytes;

    /// <summary>The lowercase hex SHA-256 of everything read; call once, after the body has been read to its end.</summary>
    public string FinishHash() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ended)
        {
            return 0;
        }

        int read;
        try
        {
            read = await _source.ReadAsync(buffer, cancellationToken);
        }
        catch (InvalidDataException ex) when (_gzip is not null)
        {
            throw NotGzip($"({ex.Message})");
        }

        if (read == 0)
        {
            _ended = true;
            if (_wire is not null)
            {
                await CheckGzipEndAsync(_wire, cancellationToken);
            }

            return 0;
        }

        Count(buffer.Span[..read]);
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip?.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private static BatchFormatException NotGzip(string problem) => BatchFormatException.Body(
        $"The body is not valid gzip data {problem}. Send it uncompressed, or compressed with gzip (one complete gzip stream) and Content-Encoding: gzip.");

    /// <summary>
    /// After the inflater's end: whatever follows on the wire is read (the request is bounded by
    /// Batches:MaxBodyBytes), and the body's last 8 bytes must be the gzip trailer of exactly what was
    /// inflated: CRC-32 and length modulo 2^32, little-endian (RFC 1952). A stream cut short ends in other
    /// bytes; data after the stream (junk, or a second member) puts other bytes last.
    /// </summary>
    private async Task CheckGzipEndAsync(WireStream wire, CancellationToken cancellationToken)
    {
        var rest = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (await wire.ReadAsync(rest, cancellationToken) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rest);
        }

        Span<byte> expected = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(expected, _crc!.GetCurrentHashAsUInt32());
        BinaryPrimitives.WriteUInt32LittleEndian(expected[4..], unchecked((uint)_bytes));
        if (wire.BytesRead < 18 || !wire.LastBytes.SequenceEqual(expected))
        {
            throw NotGzip("(the stream is truncated, or data follows its end)");
        }
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

        if (_wire is not null && _bytes > RatioAllowanceBytes && _bytes > _wire.BytesRead * _maxRatio)
        {
            throw new BatchTooLargeException(string.Create(
                CultureInfo.InvariantCulture,
                $"The gzip body inflates more than {_maxRatio} times (Batches:MaxCompressionRatio): {_wire.BytesRead} bytes became more than {_bytes}. Send the items without such padding."));
        }

        _crc?.Append(data);
        _hash.AppendData(data);
    }

    /// <summary>The compressed body as it comes off the wire: counted, its last 8 bytes kept for the trailer check.</summary>
    private sealed class WireStream(Stream inner) : AsyncReadOnlyStream
    {
        private readonly byte[] _last = new byte[8];

        public long BytesRead { get; private set; }

        /// <summary>The last (up to) 8 bytes read, oldest first.</summary>
        public ReadOnlySpan<byte> LastBytes => BytesRead >= 8 ? _last : _last.AsSpan(8 - (int)BytesRead);

        protected override long ReadSoFar => BytesRead;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            Remember(buffer.Span[..read]);
            return read;
        }

        private void Remember(ReadOnlySpan<byte> data)
        {
            BytesRead += data.Length;
            if (data.Length >= 8)
            {
                data[^8..].CopyTo(_last);
                return;
            }

            // Shift the kept bytes left and append the new ones.
            _last.AsSpan(data.Length).CopyTo(_last);
            data.CopyTo(_last.AsSpan(8 - data.Length));
        }
    }
}
