using System.Text.RegularExpressions;

namespace Rates.Build.Environments;

/// <summary>
/// The version of the service image, from git:
/// <list type="bullet">
/// <item>a tag on the checked-out commit (<c>git describe --tags --exact-match</c>), with a leading <c>v</c> before a
/// digit dropped (<c>v1.2.0</c> → <c>1.2.0</c>, as container registries usually show versions);</item>
/// <item>otherwise the short commit (<c>3f2a9c1</c>);</item>
/// <item><c>dev</c> outside a git checkout or before the first commit.</item>
/// </list>
/// Uncommitted changes append <c>-dirty</c> (as <c>git describe --dirty</c> does), so an image built from a modified
/// tree never carries the name of a commit or release it does not match; CI builds from a clean checkout.
/// </summary>
internal static partial class ImageVersion
{
    public const string NoGit = "dev";
    public const string DirtySuffix = "-dirty";

    /// <summary>Docker accepts at most 128 characters in a tag.</summary>
    public const int MaxTagLength = 128;

    public static string Compute(string? exactTag, string? shortCommit, bool dirty)
    {
        string version;
        if (!string.IsNullOrWhiteSpace(exactTag))
            version = LeadingV().Replace(ToDockerTag(exactTag.Trim()), "");
        else if (!string.IsNullOrWhiteSpace(shortCommit))
            version = shortCommit.Trim();
        else
            return NoGit;

        return dirty ? Truncate(version, MaxTagLength - DirtySuffix.Length) + DirtySuffix : version;
    }

    /// <summary>A git tag as a valid Docker tag: [A-Za-z0-9_.-], not starting with '.' or '-', at most 128 characters.</summary>
    public static string ToDockerTag(string text)
    {
        var tag = InvalidTagCharacters().Replace(text, "-").TrimStart('.', '-');
        tag = Truncate(tag, MaxTagLength);
        return tag.Length == 0 ? NoGit : tag;
    }

    /// <summary>True when the version names exactly one commit or tag (not dev, not -dirty): only such images are pushed.</summary>
    public static bool IsPublishable(string version) =>
        version != NoGit && !version.EndsWith(DirtySuffix, StringComparison.Ordinal);

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];

    [GeneratedRegex("[^A-Za-z0-9_.-]")]
    private static partial Regex InvalidTagCharacters();

    [GeneratedRegex("^v(?=[0-9])")]
    private static partial Regex LeadingV();
}

/// <summary>Where <c>Push</c> sends the image: <c>--registry ghcr.io/OWNER</c> → <c>ghcr.io/OWNER/rates-api</c>.</summary>
internal sealed partial record RegistryReference(string Value, string? LoginServer)
{
    /// <summary>The image name in the registry, e.g. <c>ghcr.io/owner/rates-api</c>.</summary>
    public string Repository(string imageName) => $"{Value}/{imageName}";

    /// <exception cref="BuildFailedException">The value is not a registry address with an optional namespace.</exception>
    public static RegistryReference Parse(string? text)
    {
        var value = (text ?? "").Trim().TrimEnd('/');
        if (value.Contains("://", StringComparison.Ordinal))
            value = value[(value.IndexOf("://", StringComparison.Ordinal) + 3)..];
        if (value.Length == 0 || !Pattern().IsMatch(value))
        {
            throw new BuildFailedException(
                $"'{text}' is not a registry (--registry): use HOST[:PORT]/NAMESPACE in lower case, e.g. ghcr.io/my-org " +
                "(the image is pushed as ghcr.io/my-org/rates-api), or a Docker Hub account name.");
        }

        // As Docker reads names: a first component with '.' or ':' (or localhost) is a registry host, else Docker Hub.
        var first = value.Split('/')[0];
        var isHost = first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost";
        return new RegistryReference(value, isHost ? first : null);
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")]
    private static partial Regex Pattern();
}
