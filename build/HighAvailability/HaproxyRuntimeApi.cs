using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Rates.Build.Environments;

namespace Rates.Build.HighAvailability;

/// <summary>One server of a HAProxy backend, as the runtime API's <c>show stat</c> reports it.</summary>
/// <param name="Status">UP, DOWN, DRAIN, MAINT, "MAINT (resolution)", "no check", or a transition such as "UP 1/2".</param>
/// <param name="Address">ip:port, or empty while the server has none (a DNS slot not filled).</param>
internal sealed record HaproxyServer(string Backend, string Name, string Status, int CurrentSessions, string Address)
{
    public bool IsUp => Status.StartsWith("UP", StringComparison.Ordinal);
    public bool IsDraining => Status.StartsWith("DRAIN", StringComparison.Ordinal);
    public bool HasAddress => Address.Length > 0 && !Address.StartsWith("0.0.0.0", StringComparison.Ordinal);
}

/// <summary>The administrative states that <c>set server ... state</c> sets.</summary>
internal enum HaproxyServerState
{
    /// <summary>In rotation again (clears drain and maintenance).</summary>
    Ready,

    /// <summary>No new requests; those in flight finish.</summary>
    Drain,

    /// <summary>Out of rotation, health checks stopped.</summary>
    Maint,
}

/// <summary>Thrown when HAProxy answers a command with an error.</summary>
internal sealed class HaproxyRuntimeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// HAProxy's runtime API (the <c>stats socket</c> of haproxy.cfg): one command per connection, the answer read to its
/// end. The transport is given, so the same commands work over TCP and through <c>docker exec</c>.
/// </summary>
internal sealed class HaproxyRuntimeApi(Func<string, CancellationToken, Task<string>> send)
{
    /// <summary>A transport over TCP, for a runtime API bound to an address the caller reaches.</summary>
    public static HaproxyRuntimeApi OverTcp(string host, int port) => new(async (command, cancellationToken) =>
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(host, port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\n"), timeout.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(timeout.Token);
    });

    /// <summary>
    /// A transport through <c>docker exec</c> into <paramref name="container"/>, for a runtime API bound to 127.0.0.1
    /// inside it (bash's /dev/tcp: the image has no socat).
    /// </summary>
    public static HaproxyRuntimeApi OverDockerExec(DockerCli docker, string container, int port) => new(async (command, _) =>
    {
        const string script = "exec 3<>/dev/tcp/127.0.0.1/$1 && printf '%s\\n' \"$2\" >&3 && cat <&3";
        var result = await docker.RunAsync(["exec", container, "bash", "-c", script, "haproxy-runtime-api",
            port.ToString(CultureInfo.InvariantCulture), command], new ProcessOptions { Echo = false });
        return result.StandardOutput;
    });

    /// <summary>Every server of <paramref name="backend"/> (frontend and backend summary rows left out).</summary>
    public async Task<IReadOnlyList<HaproxyServer>> ServersAsync(string backend, CancellationToken cancellationToken) =>
        ParseStat(await send("show stat", cancellationToken)).Where(s => s.Backend == backend).ToList();

    /// <summary>Sets the administrative state of <paramref name="backend"/>/<paramref name="server"/>.</summary>
    /// <exception cref="HaproxyRuntimeException">HAProxy refused the command (e.g. no such server).</exception>
    public async Task SetStateAsync(string backend, string server, HaproxyServerState state, CancellationToken cancellationToken)
    {
        var command = $"set server {backend}/{server} state {state.ToString().ToLowerInvariant()}";
        var answer = (await send(command, cancellationToken)).Trim();
        // Success is an empty answer; anything else is HAProxy's reason.
        if (answer.Length > 0)
            throw new HaproxyRuntimeException($"HAProxy refused `{command}`: {answer}");
    }

    /// <summary>Reads <c>show stat</c>'s CSV by its header line, so new columns in later versions do not matter.</summary>
    /// <exception cref="HaproxyRuntimeException">The answer is not the CSV (e.g. an error message).</exception>
    public static IReadOnlyList<HaproxyServer> ParseStat(string csv)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0 || !lines[0].StartsWith("# ", StringComparison.Ordinal))
            throw new HaproxyRuntimeException($"HAProxy's `show stat` answer has no CSV header: {(lines.Length == 0 ? "(empty)" : lines[0])}");
        var header = lines[0][2..].Split(',');
        int Column(string name) => Array.IndexOf(header, name) is var index and >= 0
            ? index
            : throw new HaproxyRuntimeException($"HAProxy's `show stat` has no column {name}.");
        var (proxy, server, sessions, status, address) = (Column("pxname"), Column("svname"), Column("scur"), Column("status"), Column("addr"));
        return lines.Skip(1)
            .Select(l => l.Split(','))
            .Where(f => f.Length > new[] { proxy, server, sessions, status, address }.Max() && f[server] is not ("FRONTEND" or "BACKEND"))
            .Select(f => new HaproxyServer(f[proxy], f[server], f[status],
                int.TryParse(f[sessions], NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0, f[address]))
            .ToList();
    }
}
