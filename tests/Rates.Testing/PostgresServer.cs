using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DotNet.Testcontainers.Builders;
using Npgsql;
using Rates.EmbeddedPostgres;
using Testcontainers.PostgreSql;

namespace Rates.Testing;

/// <summary>A PostgreSQL 13 server for the tests: a container, or the embedded server where no Docker engine answers.</summary>
public interface IPostgresServer : IAsyncDisposable
{
    /// <summary>"docker" or "embedded".</summary>
    string Kind { get; }

    string ConnectionString(string database);

    /// <summary>Stops the server; its data and port are kept for <see cref="StartAsync"/>.</summary>
    Task StopAsync();

    Task StartAsync();
}

/// <summary>
/// Chooses the server: <c>RATES_TEST_POSTGRES=docker</c> or <c>embedded</c> forces one; otherwise Docker when an
/// engine answers its ping (and the container starts), else the embedded PostgreSQL of tools/Rates.EmbeddedPostgres.
/// The embedded server runs the binaries of <c>RATES_PG_BIN</c> when it names a folder (an installed PostgreSQL,
/// e.g. where npm has no PostgreSQL 13 package for the platform), else those of the npm package.
/// </summary>
public static class PostgresServers
{
    public const string ModeVariable = "RATES_TEST_POSTGRES";
    public const string PgBinVariable = "RATES_PG_BIN";
    public const string Image = "postgres:13.5";

    /// <summary>
    /// Every test class's services share one server, and each keeps its pooled connections idle for minutes:
    /// more than PostgreSQL's default 100.
    /// </summary>
    public const int MaxConnections = 400;

    public static async Task<IPostgresServer> StartAsync(string purpose)
    {
        var mode = (Environment.GetEnvironmentVariable(ModeVariable) ?? "").Trim().ToLowerInvariant();
        switch (mode)
        {
            case "docker":
                if (!await DockerEngine.AnswersAsync())
                {
                    throw new InvalidOperationException(
                        $"{ModeVariable}=docker, but no Docker engine answers at {DockerEngine.Endpoint()}. Start one, or use {ModeVariable}=embedded.");
                }

                return await DockerPostgresServer.CreateAsync();
            case "embedded":
                return await EmbeddedPostgresServer.CreateAsync(purpose);
            case "" or "auto":
                if (await DockerEngine.AnswersAsync())
                {
                    try
                    {
                        return await DockerPostgresServer.CreateAsync();
                    }
                    catch (Exception ex)
                    {
                        // An engine that answers but cannot run the container (no image, API mismatch, ...):
                        // the embedded server still gives a real PostgreSQL 13.
                        await Console.Error.WriteLineAsync(
                            $"Docker engine answers but the {Image} container did not start ({ex.GetType().Name}: {ex.Message}); " +
                            $"using the embedded PostgreSQL. Set {ModeVariable}=docker to make this an error.");
                    }
                }

                return await EmbeddedPostgresServer.CreateAsync(purpose);
            default:
                throw new InvalidOperationException($"{ModeVariable}='{mode}' is not valid: use docker, embedded, or leave it unset (auto).");
        }
    }

    public static int FreePort() => PostgresCluster.FindFreePort();
}

/// <summary>Pings the Docker engine's API (unix socket or tcp) with a short timeout.</summary>
internal static class DockerEngine
{
    public static string Endpoint() =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    public static async Task<bool> AnswersAsync()
    {
        var endpoint = new Uri(Endpoint());
        var handler = new SocketsHttpHandler();
        Uri baseAddress;
        if (endpoint.Scheme == "unix")
        {
            if (!File.Exists(endpoint.AbsolutePath))
            {
                return false;
            }

            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(endpoint.AbsolutePath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
            baseAddress = new Uri("http://docker/");
        }
        else if (endpoint.Scheme == "tcp")
        {
            baseAddress = new Uri($"http://{endpoint.Host}:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}/");
        }
        else
        {
            return false;
        }

        using var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync("_ping");
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or SocketException or IOException)
        {
            return false;
        }
    }
}

internal sealed class DockerPostgresServer : IPostgresServer
{
    private const string Password = "rates-test";
    private readonly PostgreSqlContainer _container;
    private readonly int _hostPort;

    private DockerPostgresServer(PostgreSqlContainer container, int hostPort)
    {
        _container = container;
        _hostPort = hostPort;
    }

    public string Kind => "docker";

    public static async Task<DockerPostgresServer> CreateAsync()
    {
        // A fixed host port (instead of a random one per start) keeps the address after a stop and start.
        var hostPort = PostgresServers.FreePort();
        var container = new PostgreSqlBuilder(PostgresServers.Image)
            .WithPassword(Password)
            .WithPortBinding(hostPort, PostgreSqlBuilder.PostgreSqlPort)
            .WithCommand("-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off", "-c", $"max_connections={PostgresServers.MaxConnections}")
            .Build();
        try
        {
            await container.StartAsync();
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }

        return new DockerPostgresServer(container, hostPort);
    }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = _container.Hostname,
        Port = _hostPort,
        Database = database,
        Username = "postgres",
        Password = Password,
    }.ConnectionString;

    public Task StopAsync() => _container.StopAsync();

    public async Task StartAsync()
    {
        await _container.StartAsync();
        await WaitUntilAcceptingAsync(ConnectionString("postgres"));
    }

    public ValueTask DisposeAsync() => _container.DisposeAsync();

    internal static async Task WaitUntilAcceptingAsync(string connectionString)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}

internal sealed class EmbeddedPostgresServer : IPostgresServer
{
    private readonly PostgresCluster _cluster;
    private readonly string _root;

    private EmbeddedPostgresServer(PostgresCluster cluster, string root)
    {
        _cluster = cluster;
        _root = root;
    }

    public string Kind => "embedded";

    public static async Task<EmbeddedPostgresServer> CreateAsync(string purpose)
    {
        var binaries = Environment.GetEnvironmentVariable(PostgresServers.PgBinVariable) is { Length: > 0 } pgBin
            ? PostgresBinaries.FromDirectory(pgBin)
            : await EmbeddedPostgresBinaries.EnsureAsync();
        // Under /tmp: when the tests run as root the server runs as an unprivileged account, which must reach it.
        var root = Path.Combine(Path.GetTempPath(), $"rates-api-tests-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var cluster = new PostgresCluster(binaries, Path.Combine(root, "data"), PostgresServers.FreePort(), "rates-test")
        {
            ServerSettings = new Dictionary<string, string>
            {
                ["fsync"] = "off",
                ["full_page_writes"] = "off",
                ["synchronous_commit"] = "off",
                ["max_connections"] = PostgresServers.MaxConnections.ToString(CultureInfo.InvariantCulture),
            },
        };
        await cluster.InitAsync();
        await cluster.StartAsync();
        return new EmbeddedPostgresServer(cluster, root);
    }

    public string ConnectionString(string database) => _cluster.ConnectionString(database);

    public Task StopAsync() => _cluster.StopAsync();

    public Task StartAsync() => _cluster.StartAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _cluster.StopAsync();
        }
        finally
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // Leftovers in /tmp are harmless; the next run uses a new folder.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
