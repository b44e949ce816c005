using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rates.EmbeddedPostgres;

/// <summary>What a cluster reads and writes besides the server: ports of 127.0.0.1, server options, and the files of its data directory.</summary>
public sealed partial class PostgresCluster
{
    /// <summary>A free TCP port on 127.0.0.1 at the time of the call.</summary>
    public static int FindFreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>True when nothing listens on <paramref name="port"/> of 127.0.0.1 (or on all addresses).</summary>
    public static bool IsPortFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }

    private string BuildServerOptions()
    {
        // pg_ctl hands this string to a shell (cmd on Windows), so values are restricted to characters that need no quoting.
        var options = new StringBuilder(FormattableString.Invariant($"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=\"\""));
        foreach (var (name, value) in ServerSettings)
        {
            if (!SettingName().IsMatch(name) || !SettingValue().IsMatch(value))
            {
                throw new EmbeddedPostgresException(
                    $"Server setting '{name}={value}' is not allowed: names are lower-case identifiers and values use only letters, digits and ._:/,+-.");
            }

            if (name is "port" or "listen_addresses" or "unix_socket_directories")
            {
                throw new EmbeddedPostgresException($"Server setting '{name}' is managed by the cluster; use the constructor's port instead.");
            }

            options.Append(CultureInfo.InvariantCulture, $" -c {name}={value}");
        }

        return options.ToString();
    }

    private void CheckMajorVersion()
    {
        var text = File.ReadAllText(Path.Combine(DataDirectory, VersionFile)).Trim();
        if (int.TryParse(text.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major) && major != Binaries.MajorVersion)
        {
            throw new EmbeddedPostgresException(
                $"The data directory {DataDirectory} was created by PostgreSQL {text}, but the binaries are PostgreSQL {Binaries.Version} " +
                $"({Binaries.Source}). Remove the data directory (its data is lost) or use PostgreSQL {text} binaries (PgBin).");
        }
    }

    /// <summary>
    /// The port the running server of this data directory listens on (from <c>postmaster.pid</c>), or null when none
    /// runs. Lets another process (e.g. a status command) learn the port without knowing how the cluster was started.
    /// </summary>
    public async Task<int?> GetRunningPortAsync(CancellationToken ct = default) =>
        await IsRunningAsync(ct).ConfigureAwait(false) ? ReadPortFromPidFile() : null;

    private int? ReadPortFromPidFile() => ReadPidFile(DataDirectory)?.Port;

    /// <summary>
    /// The postmaster's pid and port from <c>postmaster.pid</c> in <paramref name="dataDirectory"/> (lines: pid, data
    /// directory, start time, port, ...), or null when there is no such file or it is being rewritten. Whether that
    /// process still runs is the caller's question.
    /// </summary>
    public static PostmasterPidFile? ReadPidFile(string dataDirectory)
    {
        try
        {
            var path = Path.Combine(dataDirectory, PidFile);
            if (!File.Exists(path))
            {
                return null;
            }

            var lines = File.ReadAllLines(path);
            if (lines.Length <= 3 || !int.TryParse(lines[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                return null;
            }

            return new PostmasterPidFile(pid, int.TryParse(lines[3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string ReadLogSince(long offset)
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }
}

/// <summary>What <c>postmaster.pid</c> says: the server's pid and, once it listens, its port.</summary>
public sealed record PostmasterPidFile(int Pid, int? Port);
