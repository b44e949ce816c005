using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Rates.EmbeddedPostgres.Tests;

/// <summary>A temporary folder under the system temp path (traversable by every account), removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rates-ep-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A server that failed to stop may still hold files; the folder name is unique.
        }
    }
}

/// <summary>Builds an npm-style .tgz (entries under package/) in memory.</summary>
internal sealed class PackageBuilder
{
    private readonly List<(string Name, byte[] Content, UnixFileMode Mode)> _files = [];

    public PackageBuilder File(string name, string content, bool executable = false)
    {
        var mode = executable
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
              UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        _files.Add((name, Encoding.UTF8.GetBytes(content), mode));
        return this;
    }

    /// <summary>Fake server programs: postgres answers --version like the real one.</summary>
    public PackageBuilder FakeServerPrograms(string version = "13.99")
    {
        File("package/native/bin/postgres", $"#!/bin/sh\necho \"postgres (PostgreSQL) {version}\"\n", executable: true);
        File("package/native/bin/initdb", "#!/bin/sh\nexit 0\n", executable: true);
        File("package/native/bin/pg_ctl", "#!/bin/sh\nexit 0\n", executable: true);
        return this;
    }

    public byte[] Build()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var (name, content, mode) in _files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = mode, DataStream = new MemoryStream(content) };
                writer.WriteEntry(entry);
            }
        }

        return buffer.ToArray();
    }

    public static string Integrity(byte[] content) => "sha512-" + Convert.ToBase64String(SHA512.HashData(content));
}

/// <summary>An in-process npm registry: answers metadata and tarball requests from a table and counts them.</summary>
internal sealed class FakeRegistry : HttpMessageHandler
{
    public const string BaseUrl = "https://registry.test";

    private readonly ConcurrentDictionary<string, Func<HttpResponseMessage>> _routes = new(StringComparer.OrdinalIgnoreCase);

    public ConcurrentQueue<string> Requests { get; } = new();

    public Exception? Failure { get; set; }

    public static string VersionUrl(string platform, string version) => $"{BaseUrl}/@embedded-postgres%2f{platform}/{version}";

    public static string TarballUrl(string platform, string version) => $"{BaseUrl}/@embedded-postgres/{platform}/-/{platform}-{version}.tgz";

    /// <summary>Publishes <paramref name="tarball"/> under the given version, claiming <paramref name="integrity"/>.</summary>
    public FakeRegistry Publish(string platform, string version, byte[] tarball, string? integrity = null)
    {
        var metadata = JsonSerializer.Serialize(new
        {
            name = $"@embedded-postgres/{platform}",
            version,
            dist = new { integrity = integrity ?? PackageBuilder.Integrity(tarball), tarball = TarballUrl(platform, version) },
        });
        _routes[VersionUrl(platform, version)] = () => Json(metadata);
        _routes[TarballUrl(platform, version)] = () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(tarball) };
        return this;
    }

    public FakeRegistry Route(string url, Func<HttpResponseMessage> answer)
    {
        _routes[url] = answer;
        return this;
    }

    public int CountRequests(string url) => Requests.Count(r => string.Equals(r, url, StringComparison.OrdinalIgnoreCase));

    public static HttpResponseMessage Json(string json) =>
        new(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    /// <summary>When set, every answer is held back this long (a registry that hangs).</summary>
    public TimeSpan? Delay { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var url = request.RequestUri!.OriginalString;
        Requests.Enqueue(url);
        if (Delay is { } delay)
        {
            await Task.Delay(delay, cancellationToken);
        }

        if (Failure is not null)
        {
            throw Failure;
        }

        return _routes.TryGetValue(url, out var answer) ? answer() : new HttpResponseMessage(HttpStatusCode.NotFound);
    }
}
