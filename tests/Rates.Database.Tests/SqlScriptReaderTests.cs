using Rates.Database;

namespace Rates.Database.Tests;

/// <summary>Statement splitting as psql does it, without a database.</summary>
public sealed class SqlScriptReaderTests
{
    private static List<(string Sql, int Line, List<string>? Copy)> Read(string script)
    {
        var reader = new SqlScriptReader(new StringReader(script), "test.sql");
        var result = new List<(string, int, List<string>?)>();
        while (reader.ReadStatement() is { } statement)
        {
            List<string>? rows = null;
            if (statement.IsCopyFromStdin)
            {
                rows = [];
                while (reader.ReadCopyLine(statement) is { } row)
                {
                    rows.Add(row);
                }
            }

            result.Add((statement.Sql, statement.Line, rows));
        }

        return result;
    }

    [Fact]
    public void Splits_at_semicolons_outside_quotes_and_comments()
    {
        var statements = Read("""
            -- a comment; with a semicolon
            SET a = 'x;y';
            /* block ; comment /* nested; */ still comment; */ SELECT "odd;name", E'it\'s;' FROM t;
            SELECT 1; SELECT 2;
            """);

        Assert.Equal(
            ["SET a = 'x;y';", "SELECT \"odd;name\", E'it\\'s;' FROM t;", "SELECT 1;", "SELECT 2;"],
            statements.Select(s => s.Sql));
        Assert.Equal([2, 3, 4, 4], statements.Select(s => s.Line));
    }

    [Fact]
    public void Keeps_dollar_quoted_bodies_whole()
    {
        var statements = Read("""
            CREATE FUNCTION f() RETURNS int AS $body$
            BEGIN
              -- not a comment for the splitter; it is inside the body
              RETURN 1; $$ still inside $$
            END
            $body$ LANGUAGE plpgsql;
            DO $$ BEGIN PERFORM 1; END $$;
            SELECT $1, a$b$c FROM t;
            """);

        Assert.Equal(3, statements.Count);
        Assert.Contains("-- not a comment for the splitter; it is inside the body", statements[0].Sql);
        Assert.EndsWith("$body$ LANGUAGE plpgsql;", statements[0].Sql);
        Assert.Equal("DO $$ BEGIN PERFORM 1; END $$;", statements[1].Sql);
        Assert.Equal("SELECT $1, a$b$c FROM t;", statements[2].Sql);
    }

    [Fact]
    public void Doubled_quotes_stay_inside_the_literal()
    {
        var statements = Read("INSERT INTO t VALUES ('a'';b'), ('c');\nSELECT 'x'; ");

        Assert.Equal(["INSERT INTO t VALUES ('a'';b'), ('c');", "SELECT 'x';"], statements.Select(s => s.Sql));
    }

    [Fact]
    public void Reads_copy_data_up_to_the_terminator()
    {
        var statements = Read("COPY public.t (a, b) FROM stdin;\n1\tx;y\n2\t\\N\n\\.\nSELECT 1;\n");

        Assert.Equal("COPY public.t (a, b) FROM stdin;", statements[0].Sql);
        Assert.Equal(["1\tx;y", "2\t\\N"], statements[0].Copy);
        Assert.Equal("SELECT 1;", statements[1].Sql);
        Assert.Null(statements[1].Copy);
    }

    [Fact]
    public void Copy_data_without_terminator_names_the_copy_line()
    {
        var failure = Assert.Throws<SqlScriptException>(() => Read("SELECT 1;\nCOPY t (a) FROM stdin;\n1\n2\n"));

        Assert.Equal(2, failure.Line);
        Assert.Contains("test.sql, line 2", failure.Message);
        Assert.Contains("no terminating \\. line", failure.Message);
    }

    [Theory]
    [InlineData("\\connect other", 2)]
    [InlineData("\\set ON_ERROR_STOP on", 2)]
    [InlineData("SELECT 1 \\gset", 2)]
    public void Psql_meta_commands_are_rejected_naming_the_line(string line, int expectedLine)
    {
        var failure = Assert.Throws<SqlScriptException>(() => Read($"SELECT 0;\n{line}\nSELECT 2;\n"));

        Assert.Equal(expectedLine, failure.Line);
        Assert.Contains("psql meta-command", failure.Message);
        Assert.Contains("is not supported", failure.Message);
    }

    [Fact]
    public void The_restrict_guard_of_recent_pg_dump_versions_is_skipped()
    {
        var statements = Read("\\restrict abc123\nSELECT 1;\n\\unrestrict abc123\n");

        Assert.Equal(["SELECT 1;"], statements.Select(s => s.Sql));
    }

    [Fact]
    public void A_statement_without_semicolon_at_the_end_names_its_line()
    {
        var failure = Assert.Throws<SqlScriptException>(() => Read("SELECT 1;\n\nSELECT\n  2\n"));

        Assert.Equal(3, failure.Line);
        Assert.Contains("no terminating semicolon", failure.Message);
    }

    [Fact]
    public void An_unterminated_string_is_reported()
    {
        var failure = Assert.Throws<SqlScriptException>(() => Read("SELECT 'open;\n"));

        Assert.Contains("ends inside a quoted string", failure.Message);
    }

    [Fact]
    public void Comments_and_blank_lines_alone_are_no_statements()
    {
        Assert.Empty(Read("--\n-- PostgreSQL database dump\n--\n\n/* nothing */\n;\n"));
    }
}
