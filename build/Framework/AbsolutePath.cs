namespace Rates.Build.Framework;

/// <summary>
/// A normalised absolute file-system path with NUKE's <c>/</c> operator
/// (<c>RootDirectory / "src" / "Rates.Api"</c>), so targets never juggle relative paths.
/// </summary>
public sealed class AbsolutePath : IEquatable<AbsolutePath>
{
    private readonly string _path;

    private AbsolutePath(string path) => _path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    /// <summary>Creates a path; a relative <paramref name="path"/> is resolved against <paramref name="baseDirectory"/>.</summary>
    public static AbsolutePath Create(string path, string? baseDirectory = null) =>
        Path.IsPathRooted(path)
            ? new AbsolutePath(path)
            : new AbsolutePath(Path.Combine(baseDirectory ?? Environment.CurrentDirectory, path));

    public static AbsolutePath operator /(AbsolutePath left, string right) => new(Path.Combine(left._path, right));

    public static implicit operator string(AbsolutePath path) => path._path;

    public string Name => Path.GetFileName(_path);

    public AbsolutePath Parent => new(Path.GetDirectoryName(_path) ?? _path);

    public bool FileExists => File.Exists(_path);

    public bool DirectoryExists => Directory.Exists(_path);

    public string RelativeTo(AbsolutePath baseDirectory) => Path.GetRelativePath(baseDirectory, _path);

    public AbsolutePath CreateDirectory()
    {
        Directory.CreateDirectory(_path);
        return this;
    }

    /// <summary>Deletes the directory with its contents when it exists.</summary>
    public void DeleteDirectory()
    {
        if (Directory.Exists(_path))
            Directory.Delete(_path, recursive: true);
    }

    /// <summary>Leaves an existing, empty directory (stale outputs would be mistaken for fresh ones).</summary>
    public AbsolutePath CreateOrCleanDirectory()
    {
        DeleteDirectory();
        return CreateDirectory();
    }

    public bool Equals(AbsolutePath? other) => other is not null && string.Equals(_path, other._path, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as AbsolutePath);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_path);

    public override string ToString() => _path;
}
