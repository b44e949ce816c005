using System.Text;

namespace Rates.Synthetic.Tests;

internal static class RepoPaths
{
    /// <summary>The folder holding Rates.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rates.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"No Rates.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>Reports synchronously (unlike Progress&lt;T&gt;, which posts to the thread pool).</summary>
internal sealed class RecordingProgress : IProgress<long>
{
    public List<long> Values { get; } = [];

    public void Report(long value) => Values.Add(value);
}

/// <summary>A sink that keeps only the size of the largest single write and the total.</summary>
internal sealed class WriteSizeRecordingStream : Stream
{
    public int LargestWrite { get; private set; }
    public int Writes { get; private set; }
    public long Total { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Total;
    public override long Position { get => Total; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        LargestWrite = Math.Max(LargestWrite, buffer.Length);
        Writes++;
        Total += buffer.Length;
    }
}

/// <summary>Reads the COPY ... FROM stdin blocks of a pg_dump-style file (text format), unescaping values.</summary>
internal static class CopyBlocks
{
    public static Dictionary<string, (string Columns, List<string?[]> Rows)> Parse(string sql)
    {
        var tables = new Dictionary<string, (string, List<string?[]>)>();
        var lines = sql.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("COPY public.", StringComparison.Ordinal))
                continue;
            var header = lines[i];
            var table = header["COPY public.".Length..header.IndexOf(' ', "COPY public.".Length)];
            var columns = header[(header.IndexOf('(') + 1)..header.IndexOf(')')];
            var rows = new List<string?[]>();
            for (i++; lines[i] != @"\."; i++)
                rows.Add(lines[i].Split('\t').Select(Unescape).ToArray());
            tables.Add(table, (columns, rows));
        }

        return tables;
    }

    private static string? Unescape(string value)
    {
        if (value == @"\N")
            return null;
        var sb = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '\\')
            {
                sb.Append(value[i]);
                continue;
            }

            i++;
            sb.Append(value[i] switch { 't' => '\t', 'n' => '\n', 'r' => '\r', _ => value[i] });
        }

        return sb.ToString();
    }
}
