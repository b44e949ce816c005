using System.Globalization;
using System.Security.Cryptography;
using Rates.Synthetic;
using Spectre.Console.Rendering;

partial class Build
{
    /// <summary>The committed seed data (regions, ports, prices) loaded by the seed job and the tests.</summary>
    static AbsolutePath SeedSqlFile => RootDirectory / SeedFile.RelativePath;

    // No parameters on purpose: the file is committed, so the only meaningful regeneration is the one from
    // SeedSpec.Default. A different spec belongs in SeedSpec.Default itself, reviewed together with the new file.
    Target GenerateSeed => _ => _
        .Description($"Regenerates {SeedFile.RelativePath} from the synthetic generator's default spec (byte for byte reproducible) and prints rows, bytes and SHA-256.")
        .Executes(() =>
        {
            var previousSha256 = SeedSqlFile.FileExists ? Sha256Of(SeedSqlFile) : null;
            var spec = SeedSpec.Default;
            var summary = SeedFile.Generate(SeedSqlFile, spec);

            var change = previousSha256 is null ? "created (there was no file)"
                : previousSha256 == summary.Sha256 ? "unchanged (identical to the previous file)"
                : $"CHANGED (previous sha256 {previousSha256}): the generator's output differs; review and commit the new file with the generator change";
            var rows = summary.Regions + summary.Ports + summary.Prices;
            WriteKeyValueTable(
                ("File", SeedSqlFile.RelativeTo(RootDirectory)),
                ("Spec", FormattableString.Invariant(
                    $"seed {spec.Seed}, {spec.Days} days from {spec.StartDay:yyyy-MM-dd} to {spec.EndDay:yyyy-MM-dd}, {spec.Lanes} lanes, {spec.MinPricesPerDay}-{spec.MaxPricesPerDay} prices per lane-day")),
                ("Rows", FormattableString.Invariant(
                    $"{rows:N0} ({summary.Regions:N0} regions, {summary.Ports:N0} ports, {summary.Prices:N0} prices on {summary.Lanes:N0} lanes)")),
                ("Bytes", summary.Bytes.ToString("N0", CultureInfo.InvariantCulture)),
                ("SHA-256", summary.Sha256),
                ("Compared with before", change));
        });

    static string Sha256Of(AbsolutePath file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>A two-column summary (also GenerateBatch's); text cells, so paths and values print verbatim (no markup).</summary>
    void WriteKeyValueTable(params (string Key, string Value)[] rows)
    {
        var table = new Table().Border(TableBorder.Square).HideHeaders();
        table.AddColumn(new TableColumn(new Text("")));
        table.AddColumn(new TableColumn(new Text("")));
        foreach (var (key, value) in rows)
            table.AddRow(new IRenderable[] { new Text(key), new Text(value) });
        Output.Write(table);
    }
}
