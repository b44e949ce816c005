using Npgsql;
using NpgsqlTypes;
using Rates.Api.Database;

namespace Rates.Api.Rates;

/// <summary>One day of a lane: the number of prices and their average.</summary>
internal readonly record struct DailyPrices(DateOnly Day, long? Count, double? Average);

internal sealed class RatesRepository(NpgsqlDataSource dataSource)
{
    // The SQL text (DailyPrices.sql, embedded). Positional parameters: Npgsql sends the text as it is, with no
    // rewriting per call, and prepares it once per connection (the statement and its plan stay on the server while
    // the connection is pooled).
    internal static readonly string DailyPricesSql = ReadEmbeddedSql("DailyPrices.sql");

    public Task<DailyPrices[]> GetDailyPricesAsync(RatesQuery query, CancellationToken cancellationToken) =>
        dataSource.ReadAsync(
            async (connection, ct) =>
            {
                await using var command = new NpgsqlCommand(DailyPricesSql, connection)
                {
                    Parameters =
                    {
                        new NpgsqlParameter<DateOnly> { NpgsqlDbType = NpgsqlDbType.Date, TypedValue = query.DateFrom },
                        new NpgsqlParameter<DateOnly> { NpgsqlDbType = NpgsqlDbType.Date, TypedValue = query.DateTo },
                        new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = query.OrigCode },
                        new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = query.DestCode },
                    },
                };
                await command.PrepareAsync(ct);

                var days = new DailyPrices[query.DateTo.DayNumber - query.DateFrom.DayNumber + 1];
                var count = 0;
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    days[count++] = new DailyPrices(
                        reader.GetFieldValue<DateOnly>(0),
                        reader.IsDBNull(1) ? null : reader.GetInt64(1),
                        reader.IsDBNull(2) ? null : reader.GetDouble(2));
                }

                return count == days.Length ? days : days[..count];
            },
            cancellationToken);

    private static string ReadEmbeddedSql(string name)
    {
        using var stream = typeof(RatesRepository).Assembly.GetManifestResourceStream(typeof(RatesRepository), name)
            ?? throw new InvalidOperationException($"The embedded resource {name} is missing from the service's assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
