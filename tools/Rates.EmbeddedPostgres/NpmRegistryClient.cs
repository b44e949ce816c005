using System.Net;
using System.Security.Cryptography;
using System.Text.Json;

namespace Rates.EmbeddedPostgres;

/// <summary>The tarball address and integrity a registry publishes for one package version.</summary>
internal sealed record NpmDist(Uri Tarball, string Integrity);

/// <summary>
/// Minimal npm registry client: version metadata and a tarball download checked against the published
/// sha512 integrity. Plain HTTPS, no node or npm.
/// </summary>
internal sealed class NpmRegistryClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly EmbeddedPostgresOptions _options;

    public NpmRegistryClient(EmbeddedPostgresOptions options)
    {
        _options = options;
        _http = options.HttpMessageHandler is null
            ? new HttpClient()
            : new HttpClient(options.HttpMessageHandler, disposeHandler: false);
        // Per-request limits come from the options through cancellation tokens, so one slow step has its own message.
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("rates-embedded-postgres/1.0");
    }

    public void Dispose() => _http.Dispose();

    public static string SpecFor(string package, string version) => $"{package}@{version}";

    /// <summary>Reads <c>dist.tarball</c> and <c>dist.integrity</c> of <paramref name="package"/>@<paramref name="version"/>.</summary>
    public async Task<NpmDist> GetDistAsync(string registry, string package, string version, CancellationToken ct)
    {
        var escaped = package.Replace("/", "%2f", StringComparison.Ordinal);
        var versionUrl = new Uri($"{registry.TrimEnd('/')}/{escaped}/{Uri.EscapeDataString(version)}");
        using var versionDocument = await GetJsonAsync(versionUrl, package, version, ct).ConfigureAwait(false);
        if (versionDocument is not null)
        {
            return ReadDist(versionDocument.RootElement, versionUrl, package, version);
        }

        // Some registries and mirrors serve only the whole package document, not the per-version one.
        var packageUrl = new Uri($"{registry.TrimEnd('/')}/{escaped}");
        using var packageDocument = await GetJsonAsync(packageUrl, package, version, ct).ConfigureAwait(false)
            ?? throw new EmbeddedPostgresException(
                $"The registry {registry} has no package {package} ({packageUrl} answered 404 Not Found). " +
                "Set PgBin to use an installed PostgreSQL.");
        if (packageDocument.RootElement.TryGetProperty("versions", out var versions) &&
            versions.ValueKind == JsonValueKind.Object &&
            versions.TryGetProperty(version, out var entry))
        {
            return ReadDist(entry, packageUrl, package, version);
        }

        var major = version.Split('.')[0] + ".";
        var sameMajor = versions.ValueKind == JsonValueKind.Object
            ? versions.EnumerateObject().Select(v => v.Name).Where(v => v.StartsWith(major, StringComparison.Ordinal)).ToList()
            : [];
        throw new EmbeddedPostgresException(
            $"The registry {registry} has no version {version} of {package} " +
            $"(versions of the same major: {(sameMajor.Count == 0 ? "none" : string.Join(", ", sameMajor))}). " +
            "Set PgBin to the bin folder of an installed PostgreSQL server.");
    }

    /// <summary>
    /// Downloads <paramref name="dist"/> into <paramref name="destinationFile"/> and checks its sha512. On a mismatch
    /// the file is deleted and the message names the expected and the actual digest.
    /// </summary>
    public async Task<long> DownloadVerifiedAsync(NpmDist dist, string spec, string destinationFile, CancellationToken ct)
    {
        var expected = ParseSha512(dist.Integrity, spec);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.DownloadTimeout);
        long length = 0;
        byte[] actual;
        try
        {
            using var response = await _http.GetAsync(dist.Tarball, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw DownloadFailure(spec, dist.Tarball, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null);
            }

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
            await using (var input = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false))
            await using (var output = new FileStream(destinationFile, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await input.ReadAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), timeout.Token).ConfigureAwait(false);
                    length += read;
                }
            }

            actual = hash.GetHashAndReset();
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            TryDelete(destinationFile);
            throw DownloadFailure(spec, dist.Tarball, $"no complete answer within {Seconds(_options.DownloadTimeout)}", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            TryDelete(destinationFile);
            throw DownloadFailure(spec, dist.Tarball, e.Message, e);
        }
        catch
        {
            TryDelete(destinationFile);
            throw;
        }

        if (!CryptographicOperations.FixedTimeEquals(expected, actual))
        {
            TryDelete(destinationFile);
            throw new EmbeddedPostgresException(
                $"Integrity check failed for {spec} downloaded from {dist.Tarball}: expected sha512-{Convert.ToBase64String(expected)}, " +
                $"got sha512-{Convert.ToBase64String(actual)} ({length} bytes). The file was deleted; nothing was installed. " +
                "Check the registry or proxy, or set PgBin to use an installed PostgreSQL.");
        }

        return length;
    }

    /// <summary>Parses a Subresource-Integrity value such as <c>sha512-BASE64</c> (several space-separated values allowed).</summary>
    public static byte[] ParseSha512(string integrity, string spec)
    {
        foreach (var token in integrity.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!token.StartsWith("sha512-", StringComparison.Ordinal))
            {
                continue;
            }

            var value = token["sha512-".Length..];
            var optionStart = value.IndexOf('?', StringComparison.Ordinal);
            if (optionStart >= 0)
            {
                value = value[..optionStart];
            }

            try
            {
                var digest = Convert.FromBase64String(value);
                if (digest.Length == SHA512.HashSizeInBytes)
                {
                    return digest;
                }
            }
            catch (FormatException)
            {
                // Fall through to the error below.
            }

            throw new EmbeddedPostgresException($"The registry's integrity value for {spec} is malformed: '{integrity}'.");
        }

        throw new EmbeddedPostgresException(
            $"The registry publishes no sha512 integrity for {spec} (dist.integrity is '{integrity}'); refusing to install unverified binaries.");
    }

    private async Task<JsonDocument?> GetJsonAsync(Uri url, string package, string version, CancellationToken ct)
    {
        var spec = SpecFor(package, version);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.MetadataTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw DownloadFailure(spec, url, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null);
            }

            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                return JsonDocument.Parse(body);
            }
            catch (JsonException e)
            {
                throw DownloadFailure(spec, url, $"the answer is not JSON ({e.Message})", e);
            }
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw DownloadFailure(spec, url, $"no answer within {Seconds(_options.MetadataTimeout)}", e);
        }
        catch (HttpRequestException e)
        {
            throw DownloadFailure(spec, url, e.Message, e);
        }
    }

    private static NpmDist ReadDist(JsonElement versionElement, Uri from, string package, string version)
    {
        var spec = SpecFor(package, version);
        if (versionElement.ValueKind != JsonValueKind.Object ||
            !versionElement.TryGetProperty("dist", out var dist) ||
            dist.ValueKind != JsonValueKind.Object ||
            !dist.TryGetProperty("tarball", out var tarball) ||
            tarball.ValueKind != JsonValueKind.String)
        {
            throw new EmbeddedPostgresException($"The registry metadata for {spec} at {from} has no dist.tarball.");
        }

        var integrity = dist.TryGetProperty("integrity", out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : "";
        if (!Uri.TryCreate(from, tarball.GetString(), out var tarballUrl))
        {
            throw new EmbeddedPostgresException($"The registry metadata for {spec} at {from} has an invalid dist.tarball '{tarball.GetString()}'.");
        }

        // Fail before downloading when there is nothing to verify against.
        ParseSha512(integrity, spec);
        return new NpmDist(tarballUrl, integrity);
    }

    private static EmbeddedPostgresException DownloadFailure(string spec, Uri url, string reason, Exception? inner)
    {
        var message = $"Could not download {spec} from {url}: {reason}; set PgBin to use an installed PostgreSQL.";
        return inner is null ? new EmbeddedPostgresException(message) : new EmbeddedPostgresException(message, inner);
    }

    private static string Seconds(TimeSpan span) =>
        span.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " s";

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary file is harmless and named after a fresh GUID.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }
}
