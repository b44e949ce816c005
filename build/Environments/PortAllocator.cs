namespace Rates.Build.Environments;

/// <summary>What is known about one port of an environment before it is chosen.</summary>
/// <param name="Service">"API" or "database", for messages.</param>
/// <param name="Requested">Given on the command line (<c>--api-port</c>/<c>--db-port</c>): used as is or the run fails.</param>
/// <param name="Persisted">Used by the last Up of this environment: kept when still available.</param>
/// <param name="Preferred">The well-known default (3000/5432 for the dev environment): used when available.</param>
internal sealed record PortRequest(string Service, int? Requested, int? Persisted, int? Preferred);

/// <param name="Reason">Why this port, printed next to it.</param>
internal sealed record PortChoice(int Port, string Reason);

/// <summary>
/// Picks the ports of an environment. Pure: whether a port is available and which port is free are passed in,
/// so the rules are testable without sockets. "Available" means free on 127.0.0.1, or held by this very
/// environment (running Up twice must find its own ports acceptable).
/// </summary>
internal static class PortAllocator
{
    public const string PortOptions = "--api-port/--db-port";

    /// <summary>How often a free port is asked for before giving up (it could be taken between two checks).</summary>
    private const int FreePortAttempts = 20;

    public static string InUseMessage(int port) =>
        $"port {port} on 127.0.0.1 is already in use (choose another with {PortOptions})";

    /// <param name="alreadyChosen">Ports already chosen for the other services of this environment.</param>
    /// <exception cref="BuildFailedException">A requested port is taken or chosen twice, or no free port was found.</exception>
    public static PortChoice Choose(PortRequest request, Func<int, bool> isAvailable, Func<int> findFreePort, IReadOnlyCollection<int> alreadyChosen)
    {
        if (request.Requested is { } requested)
        {
            if (alreadyChosen.Contains(requested))
                throw new BuildFailedException($"The {request.Service} port {requested} is also the port of another service of this environment; give {PortOptions} different values.");
            if (!isAvailable(requested))
                throw new BuildFailedException($"{Capitalize(request.Service)} port: {InUseMessage(requested)}.");
            return new PortChoice(requested, "given on the command line");
        }

        var notes = new List<string>();
        if (request.Persisted is { } persisted)
        {
            if (!alreadyChosen.Contains(persisted) && isAvailable(persisted))
                return new PortChoice(persisted, "kept from the last Up of this environment");
            notes.Add($"{persisted} of the last Up is now in use");
        }

        if (request.Preferred is { } preferred && preferred != request.Persisted)
        {
            if (!alreadyChosen.Contains(preferred) && isAvailable(preferred))
                return new PortChoice(preferred, "the default");
            notes.Add($"the default {preferred} is in use");
        }

        for (var attempt = 0; attempt < FreePortAttempts; attempt++)
        {
            var port = findFreePort();
            if (!alreadyChosen.Contains(port) && isAvailable(port))
                return new PortChoice(port, notes.Count == 0 ? "a free port" : $"a free port ({string.Join("; ", notes)})");
        }

        throw new BuildFailedException($"Found no free port on 127.0.0.1 for the {request.Service} after {FreePortAttempts} attempts; give one with {PortOptions}.");
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
