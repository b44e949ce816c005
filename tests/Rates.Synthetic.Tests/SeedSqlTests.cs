using System.Text;

namespace Rates.Synthetic.Tests;

public class SeedSqlTests
{
    private static readonly Lazy<string> DefaultSql = new(() => Encoding.UTF8.GetString(SeedFile.Render()));

    [Fact]
    public void Committed_seed_file_equals_a_fresh_generation_byte_for_byte()
    {
        var path = Path.Combine(RepoPaths.Root, SeedFile.RelativePath);
        Assert.True(File.Exists(path), $"{path} is missing; run ./build.sh GenerateSeed");
        var committed = File.ReadAllBytes(path);
        var fresh = SeedFile.Render();
        Assert.True(committed.AsSpan().SequenceEqual(fresh),
            $"{SeedFile.RelativePath} differs from the generator's output ({committed.Length} vs {fresh.Length} bytes); run ./build.sh GenerateSeed and commit the result");
    }

    [Fact]
    public void Seed_file_stays_a_few_megabytes()
    {
        Assert.InRange(SeedFile.Render().Length, 1_000_000, 8_000_000);
    }

    [Fact]
    public void Header_says_how_the_file_is_regenerated()
    {
        var header = DefaultSql.Value.Split('\n').TakeWhile(l => l.StartsWith("--", StringComparison.Ordinal)).ToList();
        Assert.Contains(header, l => l.Contains("./build.sh GenerateSeed", StringComparison.Ordinal));
    }

    [Fact]
    public void Uses_lf_line_endings_utf8_without_bom_and_ends_with_a_newline()
    {
        var bytes = SeedFile.Render();
        Assert.False(bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble), "BOM found");
        Assert.DoesNotContain((byte)'\r', bytes);
        Assert.Equal((byte)'\n', bytes[^1]);
        Assert.Contains("Malmö", DefaultSql.Value); // non-ASCII names survive as UTF-8
    }

    [Fact]
    public void Copy_blocks_load_regions_then_ports_then_prices_in_foreign_key_order()
    {
        var sql = DefaultSql.Value;
        var regionsAt = sql.IndexOf("COPY public.regions (slug, name, parent_slug) FROM stdin;\n", StringComparison.Ordinal);
        var portsAt = sql.IndexOf("COPY public.ports (code, name, parent_slug) FROM stdin;\n", StringComparison.Ordinal);
        var pricesAt = sql.IndexOf("COPY public.prices (orig_code, dest_code, day, price) FROM stdin;\n", StringComparison.Ordinal);
        Assert.True(regionsAt >= 0 && regionsAt < portsAt && portsAt < pricesAt);
        Assert.DoesNotContain("CREATE ", sql, StringComparison.Ordinal); // data only

        var tables = CopyBlocks.Parse(sql);
        var regions = new HashSet<string>();
        foreach (var row in tables["regions"].Rows)
        {
            Assert.Equal(3, row.Length);
            Assert.True(row[2] is null || regions.Contains(row[2]!), $"region {row[0]} before its parent {row[2]}");
            regions.Add(row[0]!);
        }

        var ports = new HashSet<string>();
        foreach (var row in tables["ports"].Rows)
        {
            Assert.Equal(3, row.Length);
            Assert.Contains(row[2]!, regions);
            ports.Add(row[0]!);
        }

        var dataset = SyntheticDatasetTests.DefaultDataset.Value;
        var prices = tables["prices"].Rows;
        Assert.Equal(dataset.Regions.Count, regions.Count);
        Assert.Equal(dataset.Ports.Count, ports.Count);
        Assert.Equal(dataset.Prices.Count, prices.Count);
        for (var i = 0; i < prices.Count; i++)
        {
            var expected = dataset.Prices[i];
            string?[] expectedRow = [expected.OrigCode, expected.DestCode, expected.Day.ToString("yyyy-MM-dd"), expected.Price.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            Assert.Equal((IEnumerable<string?>)expectedRow, prices[i]);
        }

        Assert.Contains(tables["regions"].Rows, r => r[2] is null); // roots are written as \N
    }

    [Theory]
    [InlineData(null, @"\N")]
    [InlineData("Plain name", "Plain name")]
    [InlineData(@"back\slash", @"back\\slash")]
    [InlineData("tab\there", @"tab\there")]
    [InlineData("new\nline", @"new\nline")]
    [InlineData("carriage\rreturn", @"carriage\rreturn")]
    [InlineData(@"\N", @"\\N")]
    [InlineData(@"\.", @"\\.")]
    public void Copy_values_are_escaped_per_text_format(string? value, string expected)
    {
        Assert.Equal(expected, SeedSqlWriter.EscapeCopyValue(value));
    }

    [Fact]
    public void Writer_ignores_the_text_writers_newline_setting()
    {
        var dataset = SyntheticDatasetTests.DefaultDataset.Value;
        using var writer = new StringWriter { NewLine = "\r\n" };
        SeedSqlWriter.Write(dataset, writer);
        Assert.Equal(DefaultSql.Value, writer.ToString());
    }

    [Fact]
    public void Generate_writes_the_file_and_reports_its_contents()
    {
        var dir = Directory.CreateTempSubdirectory("rates-seed-");
        try
        {
            var path = Path.Combine(dir.FullName, "nested", "seed.sql");
            var summary = SeedFile.Generate(path);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(SeedFile.Render(), bytes);
            Assert.Equal(bytes.Length, summary.Bytes);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), summary.Sha256);
            Assert.Equal(SyntheticDatasetTests.DefaultDataset.Value.Prices.Count, summary.Prices);
            Assert.Equal(["seed.sql"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
