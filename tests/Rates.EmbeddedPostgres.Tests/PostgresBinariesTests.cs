namespace Rates.EmbeddedPostgres.Tests;

public sealed class PostgresBinariesTests : IDisposable
{
    private readonly TempDirectory _bin = new();

    public void Dispose() => _bin.Dispose();

    [Fact]
    public void A_missing_folder_is_named()
    {
        var missing = _bin.Combine("nope");

        var error = Assert.Throws<EmbeddedPostgresException>(() => PostgresBinaries.FromDirectory(missing));

        Assert.Contains($"'{missing}' does not exist", error.Message);
    }

    [Fact]
    public void A_folder_without_the_server_programs_lists_what_is_missing()
    {
        File.WriteAllText(_bin.Combine("pg_ctl"), "");

        var error = Assert.Throws<EmbeddedPostgresException>(() => PostgresBinaries.FromDirectory(_bin.Path));

        Assert.Contains("lacks initdb, postgres", error.Message);
    }

    [Fact]
    public void A_folder_with_the_programs_reports_the_server_version()
    {
        foreach (var name in new[] { "initdb", "pg_ctl", "postgres" })
        {
            var script = name == "postgres" ? "#!/bin/sh\necho 'postgres (PostgreSQL) 13.5 (Debian 13.5-1)'\n" : "#!/bin/sh\n";
            File.WriteAllText(_bin.Combine(name), script);
            File.SetUnixFileMode(_bin.Combine(name), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var binaries = PostgresBinaries.FromDirectory(_bin.Path);

        Assert.Equal("13.5", binaries.Version);
        Assert.Equal($"PgBin {_bin.Path}", binaries.Source);
        Assert.Equal(Path.Combine(_bin.Path, "pg_ctl"), binaries.PgCtl);
    }
}
