namespace Rates.Api.Batches;

/// <summary>
/// A forward-only stream that is read asynchronously only (Kestrel forbids synchronous body reads): subclasses
/// implement <see cref="Stream.ReadAsync(Memory{byte}, CancellationToken)"/> and <see cref="ReadSoFar"/>.
/// </summary>
internal abstract class AsyncReadOnlyStream : Stream
{
    public sealed override bool CanRead => true;

    public sealed override bool CanSeek => false;

    public sealed override bool CanWrite => false;

    public sealed override long Length => throw new NotSupportedException();

    public sealed override long Position
    {
        get => ReadSoFar;
        set => throw new NotSupportedException();
    }

    /// <summary>Bytes this stream has handed out so far; its <see cref="Position"/>.</summary>
    protected abstract long ReadSoFar { get; }

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public sealed override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public sealed override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("The batch body is read asynchronously only.");

    public sealed override void Flush()
    {
    }

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public sealed override void SetLength(long value) => throw new NotSupportedException();

    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
