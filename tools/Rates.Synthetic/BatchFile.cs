namespace Rates.Synthetic;

/// <summary>Writes a synthetic batch to a file; the entry point for <c>./build.sh GenerateBatch</c>.</summary>
public static class BatchFile
{
    /// <summary>Default output folder, relative to the repository root.</summary>
    public const string DefaultDirectory = "artifacts/batches";

    /// <summary>
    /// Writes the batch to <paramref name="path"/> (folders are created). The body goes to a temporary file
    /// that is moved into place at the end, so a cancelled or failed run leaves no partial batch behind.
    /// </summary>
    public static Task<BatchSummary> WriteAsync(string path, BatchSpec spec, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        WriteAsync(path, spec, PortCatalog.Default, progress, cancellationToken);

    /// <summary>As above, with lanes drawn from <paramref name="catalog"/>'s ports (e.g. those of the database the batch goes to).</summary>
    public static async Task<BatchSummary> WriteAsync(string path, BatchSpec spec, PortCatalog catalog, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate(catalog);

        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var tempPath = fullPath + ".tmp";
        try
        {
            BatchSummary summary;
            await using (var stream = new FileStream(tempPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16, useAsync: true))
                summary = await BatchWriter.WriteAsync(spec, stream, catalog, progress, cancellationToken).ConfigureAwait(false);
            File.Move(tempPath, fullPath, overwrite: true);
            return summary with { Path = fullPath };
        }
        finally
        {
            File.Delete(tempPath);
        }
    }
}
