using System.Globalization;
using System.Runtime.InteropServices;

namespace Rates.EmbeddedPostgres;

/// <summary>
/// The unprivileged account that initdb, pg_ctl and the server run under when this process is root
/// (PostgreSQL refuses to run as root). Commands are wrapped in <c>setpriv</c>, or <c>runuser</c> where
/// setpriv is missing.
/// </summary>
internal sealed class UnixAccount
{
    public const string DefaultAccount = "nobody";

    private static readonly string[] SetprivPaths = ["/usr/bin/setpriv", "/bin/setpriv"];
    private static readonly string[] RunuserPaths = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"];

    private readonly string _setpriv;
    private readonly string _runuser;

    private UnixAccount(string name, int uid, int gid, string setpriv, string runuser)
    {
        Name = name;
        Uid = uid;
        Gid = gid;
        _setpriv = setpriv;
        _runuser = runuser;
    }

    public string Name { get; }

    public int Uid { get; }

    public int Gid { get; }

    public static bool IsCurrentProcessRoot() => !OperatingSystem.IsWindows() && geteuid() == 0;

    /// <summary>Looks the account up with <c>id</c>; throws a clear message when it does not exist.</summary>
    public static async Task<UnixAccount> ResolveAsync(string name, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new EmbeddedPostgresException("The account to run PostgreSQL as must not be empty.");
        }

        var uid = await IdAsync("-u", name, ct).ConfigureAwait(false);
        var gid = await IdAsync("-g", name, ct).ConfigureAwait(false);
        if (uid == 0)
        {
            throw new EmbeddedPostgresException(
                $"Account '{name}' has uid 0; PostgreSQL refuses to run as root. Choose an unprivileged account such as '{DefaultAccount}'.");
        }

        var setpriv = SetprivPaths.FirstOrDefault(File.Exists) ?? "";
        var runuser = RunuserPaths.FirstOrDefault(File.Exists) ?? "";
        if (setpriv.Length == 0 && runuser.Length == 0)
        {
            throw new EmbeddedPostgresException(
                "This process runs as root, so PostgreSQL must run under an unprivileged account, but neither setpriv nor runuser " +
                "was found. Install util-linux (e.g. 'apt-get install util-linux') or run as a normal user.");
        }

        return new UnixAccount(name, uid, gid, setpriv, runuser);
    }

    /// <summary>Returns the command line that runs <paramref name="file"/> as this account.</summary>
    public (string File, IReadOnlyList<string> Arguments) Wrap(string file, IReadOnlyList<string> arguments)
    {
        if (_setpriv.Length > 0)
        {
            string[] prefix =
            [
                $"--reuid={Uid.ToString(CultureInfo.InvariantCulture)}",
                $"--regid={Gid.ToString(CultureInfo.InvariantCulture)}",
                "--init-groups",
                "--",
                file,
            ];
            return (_setpriv, [.. prefix, .. arguments]);
        }

        return (_runuser, ["-u", Name, "--", file, .. arguments]);
    }

    public async Task ChownAsync(string path, bool recursive, CancellationToken ct)
    {
        var owner = $"{Uid.ToString(CultureInfo.InvariantCulture)}:{Gid.ToString(CultureInfo.InvariantCulture)}";
        string[] arguments = recursive ? ["-R", owner, path] : [owner, path];
        await ProcessRunner.RunAsync("chown", arguments, $"Giving {path} to account '{Name}'", ct).ConfigureAwait(false);
    }

    /// <summary>True when this account can reach and use <paramref name="path"/> with the given <c>test</c> flags.</summary>
    public async Task<bool> CanAccessAsync(string path, IReadOnlyList<string> testFlags, CancellationToken ct)
    {
        var arguments = new List<string>();
        for (var i = 0; i < testFlags.Count; i++)
        {
            if (i > 0)
            {
                arguments.Add("-a");
            }

            arguments.Add(testFlags[i]);
            arguments.Add(path);
        }

        var (file, wrapped) = Wrap("test", arguments);
        var result = await ProcessRunner.RunAsync(file, wrapped, $"Checking access of '{Name}' to {path}", ct, throwOnFailure: false)
            .ConfigureAwait(false);
        return result.ExitCode == 0;
    }

    /// <summary>Names the first folder on the way to <paramref name="path"/> that others cannot enter, if any.</summary>
    public static string? FindClosedAncestor(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var directory = new DirectoryInfo(Path.GetFullPath(path));
        var chain = new Stack<DirectoryInfo>();
        for (var d = directory; d is not null; d = d.Parent)
        {
            chain.Push(d);
        }

        foreach (var d in chain)
        {
            if (d.Exists && (d.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                return d.FullName;
            }
        }

        return null;
    }

    private static async Task<int> IdAsync(string flag, string name, CancellationToken ct)
    {
        var result = await ProcessRunner.RunAsync("id", [flag, name], $"Looking up account '{name}'", ct, throwOnFailure: false)
            .ConfigureAwait(false);
        if (result.ExitCode != 0 || !int.TryParse(result.StandardOutput.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            throw new EmbeddedPostgresException(
                $"Account '{name}' was not found on this machine ('id {flag} {name}': {(result.StandardError + result.StandardOutput).Trim()}). " +
                $"Create it or choose another account to run PostgreSQL as (default '{DefaultAccount}').");
        }

        return id;
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint geteuid();
}
