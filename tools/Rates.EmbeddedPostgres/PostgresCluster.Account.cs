using Rates.Processes;

namespace Rates.EmbeddedPostgres;

/// <summary>
/// As root, every command and the server run as an unprivileged account (PostgreSQL refuses root): which account,
/// whether it can reach the cluster's files, and running a command as that account.
/// </summary>
public sealed partial class PostgresCluster
{
    private async Task<UnixAccount?> GetAccountAsync(CancellationToken ct)
    {
        if (_accountResolved)
        {
            return _account;
        }

        await _accountGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_accountResolved)
            {
                _account = UnixAccount.IsCurrentProcessRoot()
                    ? await UnixAccount.ResolveAsync(_runAsUser ?? UnixAccount.DefaultAccount, ct).ConfigureAwait(false)
                    : null;
                _accountResolved = true;
            }

            return _account;
        }
        finally
        {
            _accountGate.Release();
        }
    }

    // As root, the unprivileged account must reach the binaries, the data directory and the log through every
    // parent folder; a private parent (e.g. /root, mode 700) otherwise surfaces as an obscure "permission denied".
    private async Task CheckAccessAsync(UnixAccount? account, CancellationToken ct)
    {
        if (account is null || _accessChecked)
        {
            return;
        }

        (string Path, string[] Flags, string What)[] checks =
        [
            (Binaries.Postgres, ["-x"], "the PostgreSQL binaries"),
            (DataDirectory, ["-w", "-x"], "the data directory"),
        ];
        foreach (var (path, flags, what) in checks)
        {
            if (!await account.CanAccessAsync(path, flags, ct).ConfigureAwait(false))
            {
                var closed = UnixAccount.FindClosedAncestor(Path.GetDirectoryName(path)!);
                throw new EmbeddedPostgresException(
                    $"This process runs as root, so PostgreSQL runs as '{account.Name}', but that account cannot use {what} at {path}" +
                    (closed is null ? "." : $": the folder {closed} is closed to other accounts.") +
                    " Use a location every account can traverse (e.g. under /var/cache, /tmp or the repository) or open it with 'chmod o+x'.");
            }
        }

        _accessChecked = true;
    }

    private static (string File, IReadOnlyList<string> Arguments) Wrap(UnixAccount? account, string file, IReadOnlyList<string> arguments) =>
        account is null ? (file, arguments) : account.Wrap(file, arguments);

    private static Task RunAsync(UnixAccount? account, string file, IReadOnlyList<string> arguments, string what, CancellationToken ct)
    {
        var (wrappedFile, wrappedArguments) = Wrap(account, file, arguments);
        return ProcessRunner.RunAsync(wrappedFile, wrappedArguments, what, ct);
    }

    private static string AsAccount(UnixAccount? account) => account is null ? "" : $" as '{account.Name}'";
}
