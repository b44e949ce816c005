using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Rates.Database;

/// <summary>What <see cref="SqlDumpLoader.LoadAsync"/> loaded.</summary>
/// <param name="Statements">SQL statements executed, COPY statements included.</param>
/// <param name="CopiedRows">Rows copied per table, as the COPY statements name them (e.g. <c>public.prices</c>).</param>
public sealed record DumpLoadResult(int Statements, IReadOnlyDictionary<string, long> CopiedRows, TimeSpan Elapsed)
{
    public long TotalCopiedRows => CopiedRows.Values.Sum();

    public override string ToString() =>
        $"{Statements} statement(s), {TotalCopiedRows} row(s) copied" +
        (CopiedRows.Count == 0 ? string.Empty : " (" + string.Join(", ", CopiedRows.Select(kv => $"{kv.Key}: {kv.Value}")) + ")") +
        $" in {Elapsed.TotalSeconds:0.0} s";
}

/// <summary>
/// Loads a pg_dump plain-format SQL file (or any script of SQL statements and <c>COPY ... FROM stdin</c>
/// blocks) without psql: statements run one by one and COPY data streams through Npgsql's text import, all
/// in one transaction, so a file that fails anywhere leaves the database as it was.
/// </summary>
public static partial class SqlDumpLoader
{
    public static async Task<DumpLoadResult> LoadAsync(string connectionString, string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"SQL file not found: {path}", path);
        }

        // A dedicated connection: dumps change session settings (search_path, ...) that must not leak into a pool.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, CommandTimeout = 0 };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var result = await LoadAsync(connection, path, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>
    /// Runs the file's statements on <paramref name="connection"/> inside the caller's open transaction, so the
    /// caller can combine the load with other work (the seeder drops the old tables in the same transaction).
    /// </summary>
    internal static async Task<DumpLoadResult> LoadAsync(NpgsqlConnection connection, string path, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var copied = new Dictionary<string, long>(StringComparer.Ordinal);
        var statements = 0;

        using var file = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, new FileStreamOptions { BufferSize = 1 << 16 });
        var script = new SqlScriptReader(file, path);
        while (script.ReadStatement() is { } statement)
        {
            cancellationToken.ThrowIfCancellationRequested();
            statements++;
            try
            {
                if (statement.IsCopyFromStdin)
                {
                    var rows = await CopyAsync(connection, script, statement, cancellationToken);
                    var table = CopyTarget().Match(statement.Sql) is { Success: true } m ? m.Groups["table"].Value : "(unknown table)";
                    copied[table] = copied.GetValueOrDefault(table) + rows;
                }
                else
                {
                    await using var command = new NpgsqlCommand(statement.Sql, connection);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            catch (PostgresException ex)
            {
                var where = ex.Where is null ? string.Empty : $" ({ex.Where.Split('\n')[0]})";
                throw script.Error(ErrorLine(statement, ex), $"{ex.SqlState}: {ex.MessageText}{where}", ex);
            }
        }

        return new DumpLoadResult(statements, copied, stopwatch.Elapsed);
    }

    private static async Task<long> CopyAsync(NpgsqlConnection connection, SqlScriptReader script, SqlStatement copy, CancellationToken cancellationToken)
    {
        long rows = 0;
        var writer = await connection.BeginTextImportAsync(copy.Sql.TrimEnd(';'), cancellationToken);
        try
        {
            while (script.ReadCopyLine(copy) is { } line)
            {
                await writer.WriteAsync(line);
                await writer.WriteAsync('\n');
                rows++;
            }
        }
        catch (Exception ex) when (ex is not PostgresException)
        {
            // Abandon the COPY (a malformed file, a cancelled load) so nothing of it is kept; the caller's
            // transaction rolls back as well.
            try
            {
                if (writer is NpgsqlCopyTextWriter importer)
                {
                    await importer.CancelAsync();
                }

                await writer.DisposeAsync();
            }
            catch (Exception cleanup) when (cleanup is NpgsqlException or ObjectDisposedException or IOException)
            {
                // The COPY is being abandoned: its own error says nothing more than the one rethrown below.
            }

            throw;
        }

        // The server validates the rows when the COPY completes: a bad row surfaces here as a PostgresException,
        // whose message names the table, the COPY line and the column.
        await writer.DisposeAsync();
        return rows;
    }

    /// <summary>
    /// The file line to blame: for a rejected COPY row the server reports the row's position within the
    /// COPY data ("COPY prices, line 5, column price: ..."), which is that many lines after the statement.
    /// </summary>
    private static int ErrorLine(SqlStatement statement, PostgresException ex)
    {
        if (statement.IsCopyFromStdin && ex.Where is not null && CopyDataLine().Match(ex.Where) is { Success: true } m
            && int.TryParse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture, out var dataLine))
        {
            return statement.EndLine + dataLine;
        }

        return statement.Line;
    }

    [GeneratedRegex(@"\ACOPY [^,]+, line (?<line>\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex CopyDataLine();

    [GeneratedRegex(@"\ACOPY\s+(?<table>(?:""[^""]+""|[^\s(""]+)(?:\.(?:""[^""]+""|[^\s(""]+))?)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CopyTarget();
}
