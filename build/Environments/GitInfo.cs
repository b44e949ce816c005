using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Rates.Build.Environments;

/// <summary>What the image labels say about where it came from (OCI labels version, revision, source).</summary>
internal sealed record ImageSource(string Version, string Revision, string SourceUrl);

/// <summary>Reads the version, commit and repository URL of the checkout with git (read-only commands).</summary>
internal static partial class GitInfo
{
    public const string UnknownRevision = "unknown";

    public static async Task<ImageSource> ReadAsync(ProcessRunner processes, AbsolutePath root, CancellationToken cancellationToken)
    {
        async Task<string?> Git(params string[] arguments)
        {
            try
            {
                var result = await processes.RunAsync("git", ["-C", root, .. arguments],
                    new ProcessOptions { Echo = false, CheckExitCode = false }, cancellationToken);
                return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
            }
            catch (ProcessFailedException ex) when (ex.ExitCode is null)
            {
                return null; // git is not installed
            }
        }

        var revision = await Git("rev-parse", "--verify", "HEAD");
        string version;
        if (revision is null)
        {
            version = ImageVersion.NoGit; // not a checkout, or no commit yet
        }
        else
        {
            var tag = await Git("describe", "--tags", "--exact-match");
            var shortCommit = await Git("rev-parse", "--short", "HEAD");
            var status = await Git("status", "--porcelain");
            version = ImageVersion.Compute(tag, shortCommit, dirty: !string.IsNullOrEmpty(status));
        }

        var source = SourceUrl(Environment.GetEnvironmentVariable("GITHUB_SERVER_URL"), Environment.GetEnvironmentVariable("GITHUB_REPOSITORY"),
            await Git("remote", "get-url", "origin"), RepositoryUrlOf(root / "Directory.Build.props"));
        return new ImageSource(version, revision ?? UnknownRevision, source);
    }

    /// <summary>
    /// The repository's web address: GitHub Actions' own variables, else the origin remote as https, else the
    /// RepositoryUrl of Directory.Build.props.
    /// </summary>
    public static string SourceUrl(string? githubServer, string? githubRepository, string? originRemote, string? repositoryUrl)
    {
        if (!string.IsNullOrWhiteSpace(githubServer) && !string.IsNullOrWhiteSpace(githubRepository))
            return $"{githubServer.TrimEnd('/')}/{githubRepository}";
        if (ToHttpsUrl(originRemote) is { } remote)
            return remote;
        return string.IsNullOrWhiteSpace(repositoryUrl) ? "" : repositoryUrl.Trim();
    }

    /// <summary><c>git@github.com:o/r.git</c> or <c>https://user@github.com/o/r.git</c> → <c>https://github.com/o/r</c>; null for anything else.</summary>
    public static string? ToHttpsUrl(string? remote)
    {
        if (string.IsNullOrWhiteSpace(remote))
            return null;
        var value = remote.Trim();
        var scp = ScpRemote().Match(value);
        if (scp.Success)
            return $"https://{scp.Groups["host"].Value}/{TrimGit(scp.Groups["path"].Value)}";
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" or "ssh" or "git")
            return $"https://{uri.Host}{TrimGit(uri.AbsolutePath)}"; // drops credentials and ports
        return null;
    }

    private static string TrimGit(string path) => path.EndsWith(".git", StringComparison.Ordinal) ? path[..^4] : path;

    private static string? RepositoryUrlOf(AbsolutePath props)
    {
        try
        {
            return props.FileExists ? XDocument.Load(props).Descendants("RepositoryUrl").FirstOrDefault()?.Value : null;
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }

    [GeneratedRegex("^[^@/]+@(?<host>[^:/]+):(?<path>[^/].*)$")]
    private static partial Regex ScpRemote();
}
