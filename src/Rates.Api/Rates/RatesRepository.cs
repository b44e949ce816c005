using Dapper;
using Npgsql;
using Rates.Api.Database;

namespace Rates.Api.Rates;

/// <summary>One day of a lane: the number of prices and their average.</summary>
internal sealed record DailyPrices(DateOnly Day, long? Count, double? Average);

internal sealed class RatesRepository(NpgsqlDataSource dataSource)
{
    // One row per calendar day from date_from to date_to, newest first; days without prices come from the
    // series with NULL count and average. The average is PostgreSQL's numeric AVG, converted to double
    // precision by the server (correctly rounded, as the original's float conversion of the same numeric).
    private const string DailyPricesSql = """
        SELECT days.day AS "Day", lane.count AS "Count", lane.average AS "Average"
        FROM (
            SELECT @DateFrom + offset_days AS day
            FROM generate_series(0, @DateTo - @DateFrom) AS offset_days
        ) AS days
        LEFT JOIN (
            SELECT day, count(*) AS count, avg(price)::double precision AS average
            FROM public.prices
            WHERE orig_code = @OrigCode AND dest_code = @DestCode AND day BETWEEN @DateFrom AND @DateTo
            GROUP BY day
        ) AS lane ON lane.day = days.day
        ORDER BY days.day DESC
        """;

    public Task<IReadOnlyList<DailyPrices>> GetDailyPricesAsync(RatesQuery query, CancellationToken cancellationToken) =>
        dataSource.ReadAsync<IReadOnlyList<DailyPrices>>(
            async (connection, ct) =>
            {
                var command = new CommandDefinition(
                    DailyPricesSql,
                    new { query.DateFrom, query.DateTo, query.OrigCode, query.DestCode },
                    cancellationToken: ct);
                var rows = await connection.QueryAsync<Row>(command);
                return rows.Select(r => new DailyPrices(DateOnly.FromDateTime(r.Day), r.Count, r.Average)).ToArray();
            },
            cancellationToken);

    // Npgsql reads a date column as DateTime; Dapper fills this and the public record takes a DateOnly.
    private sealed class Row
    {
        public DateTime Day { get; set; }
        public long? Count { get; set; }
        public double? Average { get; set; }
    }
}
