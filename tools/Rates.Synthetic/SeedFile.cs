using System.Security.Cryptography;
using System.Text;

namespace Rates.Synthetic;

/// <summary>Summary of a written seed file.</summary>
public sealed record SeedFileSummary(string Path, long Bytes, string Sha256, int Regions, int Ports, int Lanes, int Prices)
{
    public override string ToString() =>
        FormattableString.Invariant($"{Path}: {Regions} regions, {Ports} ports, {Lanes} lanes, {Prices} prices, {Bytes} bytes, sha256 {Sha256}");
}

/// <summary>Generates the seed file (<c>db/seed/seed.sql</c>); the entry point for <c>./build.sh GenerateSeed</c>.</summary>
public static class SeedFile
{
    /// <summary>Where the seed file lives, relative to the repository root.</summary>
    public const string RelativePath = "db/seed/seed.sql";

    /// <summary>UTF-8 without a byte-order mark, so the file is identical on every platform.</summary>
    public static readonly Encoding Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Writes the seed SQL for <paramref name="spec"/> (default: <see cref="SeedSpec.Default"/>) to
    /// <paramref name="path"/>, byte for byte reproducible. Writes a temporary file next to it first and
    /// moves it into place, so an interrupted run never leaves a truncated seed behind.
    /// </summary>
    public static SeedFileSummary Generate(string path, SeedSpec? spec = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        spec ??= SeedSpec.Default;
        var dataset = SyntheticDataset.Generate(spec);

        var fullPath = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
        var tempPath = fullPath + ".tmp";
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.Create, FileAccess.Write, FileShare.None))
                Write(dataset, stream);
            File.Move(tempPath, fullPath, overwrite: true);
        }
        finally
        {
            File.Delete(tempPath);
        }

        using var read = File.OpenRead(fullPath);
        var sha = Convert.ToHexStringLower(SHA256.HashData(read));
        return new SeedFileSummary(fullPath, read.Length, sha, dataset.Regions.Count, dataset.Ports.Count, dataset.Lanes.Count, dataset.Prices.Count);
    }

    /// <summary>The seed file's exact bytes for <paramref name="spec"/>.</summary>
    public static byte[] Render(SeedSpec? spec = null)
    {
        using var buffer = new MemoryStream();
        Write(SyntheticDataset.Generate(spec ?? SeedSpec.Default), buffer);
        return buffer.ToArray();
    }

    private static void Write(SyntheticDataset dataset, Stream stream)
    {
        using var writer = new StreamWriter(stream, Encoding, bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" };
        SeedSqlWriter.Write(dataset, writer);
    }
}
