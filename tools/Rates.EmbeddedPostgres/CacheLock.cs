namespace Rates.EmbeddedPostgres;

/// <summary>
/// An exclusive lock between processes, held as an open file with <see cref="FileShare.None"/> (an flock on Unix).
/// The operating system releases it when the holder dies, so a crashed download never blocks later runs.
/// </summary>
internal sealed class CacheLock : IAsyncDisposable
{
    private readonly FileStream _stream;

    private CacheLock(FileStream stream) => _stream = stream;

    public static async Task<CacheLock> AcquireAsync(string path, TimeSpan timeout, Action<string> log, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var announced = false;
        while (true)
        {
            try
            {
                return new CacheLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                if (!announced)
                {
                    log($"Waiting for another process that is filling the PostgreSQL cache (lock {path})");
                    announced = true;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new EmbeddedPostgresException(
                    $"Another process held the cache lock {path} for more than {timeout.TotalMinutes:0} minutes; " +
                    "if no download is running, delete the lock file and retry.", e);
            }
        }
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
