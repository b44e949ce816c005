using System.Globalization;

namespace Rates.Testing;

/// <summary>A database address where nothing listens: connections are refused at once.</summary>
public static class ClosedPort
{
    public static int Port { get; } = PostgresServers.FreePort();

    public static string ConnectionString { get; } =
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Database=rates;Username=rates;Password=not-used");
}
