using Npgsql;
using NpgsqlTypes;
using Rates.Api.Database;

namespace Rates.Api.Rates;

/// <summary>One day of a lane: the number of prices and their average.</summary>
internal readonly record struct DailyPrices(DateOnly Day, long? Count, double? Average);

internal sealed class RatesRepository(NpgsqlDataSource dataSource)
{
    // One row per calendar day from date_from ($1) to date_to ($2), newest first; days without prices come from
    // the series with NULL count and average. The average is PostgreSQL's numeric AVG, converted to double
    // precision by the server (correctly rounded, as the original's float conversion of the same numeric).
    // Positional parameters: Npgsql sends the text as it is, with no rewriting per call, and prepares it once
    // per connection (the statement and its plan stay on the server while the connection is pooled).
    internal const string DailyPricesSql = """
        SELECT days.day, lane.count, lane.average
        FROM (
            SELECT $1 + offset_days AS day
            FROM generate_series(0, $2 - $1) AS offset_days
        ) AS days
        LEFT JOIN (
            SELECT day, count(*) AS count, avg(price)::double precision AS average
            FROM public.prices
            WHERE orig_code = $3 AND dest_code = $4 AND day BETWEEN $1 AND $2
            GROUP BY day
        ) AS lane ON lane.day = days.day
        ORDER BY days.day DESC
        """;

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
}
