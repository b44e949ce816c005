using Npgsql;

namespace Rates.Testing;

/// <summary>Small handcrafted data for the rule tests (invented codes, never the original data).</summary>
public static class TestData
{
    /// <summary>
    /// Constraint kinds per table, e.g. "ports:f,p regions:f,p". prices has no foreign keys: its references to ports
    /// are checked per statement by triggers (0006), see <see cref="PortChecksSql"/>.
    /// </summary>
    public const string ConstraintSummarySql = """
        SELECT string_agg(t.relname || ':' || t.kinds, ' ' ORDER BY t.relname)
        FROM (
            SELECT c.relname::text AS relname, string_agg(k.contype::text, ',' ORDER BY k.contype::text) AS kinds
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relname IN ('ports', 'prices', 'regions') AND k.contype IN ('p', 'f')
            GROUP BY c.relname
        ) AS t
        """;

    /// <summary>The triggers that check prices against ports, per table.</summary>
    public const string PortChecksSql = """
        SELECT string_agg(c.relname || ':' || t.tgname, ' ' ORDER BY c.relname, t.tgname)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND c.relname IN ('ports', 'prices') AND t.tgname LIKE '%check%'
        """;

    public const string ExpectedPortChecks =
        "ports:ports_check_prices_delete ports:ports_check_prices_truncate ports:ports_check_prices_update " +
        "prices:prices_check_ports_insert prices:prices_check_ports_update";

    public const string ExpectedConstraints = "ports:f,p regions:f,p";

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Lane TSTAA -> TSTBB in March 2030: day 1: 3 prices (100, 200, 301); day 2: 2 prices; day 3: none;
    /// day 4: 1 price; day 5: 4 prices (10, 20, 30, 41). Day 0 (Feb 28) and day 6 lie just outside the range the
    /// tests ask for. The reverse lane and TSTAA -> TSTCC have prices too, which must not leak into the answer.
    /// </summary>
    public const string RulesSql = """
        INSERT INTO public.regions (slug, name, parent_slug) VALUES
            ('test_world', 'Test World', NULL),
            ('test_sea', 'Test Sea', 'test_world');
        INSERT INTO public.ports (code, name, parent_slug) VALUES
            ('TSTAA', 'Test Alpha', 'test_sea'),
            ('TSTBB', 'Test Beta', 'test_sea'),
            ('TSTCC', 'Test Gamma', 'test_sea');
        INSERT INTO public.prices (orig_code, dest_code, day, price) VALUES
            ('TSTAA', 'TSTBB', '2030-02-28', 999), ('TSTAA', 'TSTBB', '2030-02-28', 999), ('TSTAA', 'TSTBB', '2030-02-28', 999),
            ('TSTAA', 'TSTBB', '2030-03-01', 100), ('TSTAA', 'TSTBB', '2030-03-01', 200), ('TSTAA', 'TSTBB', '2030-03-01', 301),
            ('TSTAA', 'TSTBB', '2030-03-02', 100), ('TSTAA', 'TSTBB', '2030-03-02', 200),
            ('TSTAA', 'TSTBB', '2030-03-04', 500),
            ('TSTAA', 'TSTBB', '2030-03-05', 10), ('TSTAA', 'TSTBB', '2030-03-05', 20), ('TSTAA', 'TSTBB', '2030-03-05', 30), ('TSTAA', 'TSTBB', '2030-03-05', 41),
            ('TSTAA', 'TSTBB', '2030-03-06', 7), ('TSTAA', 'TSTBB', '2030-03-06', 7), ('TSTAA', 'TSTBB', '2030-03-06', 7),
            ('TSTBB', 'TSTAA', '2030-03-01', 5000), ('TSTBB', 'TSTAA', '2030-03-01', 5000), ('TSTBB', 'TSTAA', '2030-03-01', 5000),
            ('TSTBB', 'TSTAA', '2030-03-03', 5000), ('TSTBB', 'TSTAA', '2030-03-03', 5000), ('TSTBB', 'TSTAA', '2030-03-03', 5000),
            ('TSTAA', 'TSTCC', '2030-03-01', 1154), ('TSTAA', 'TSTCC', '2030-03-01', 1154), ('TSTAA', 'TSTCC', '2030-03-01', 1155);
        """;

    public static Task InsertRulesDataAsync(string connectionString) => ExecuteAsync(connectionString, RulesSql);
}
