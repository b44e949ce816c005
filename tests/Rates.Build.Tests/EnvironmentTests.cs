using Rates.Build.Environments;
using Rates.Build.Framework;

namespace Rates.Build.Tests;

/// <summary>The pure rules behind Up/Down/Status/DbSeed/Image/Push: names, ports, runtime choice, versions, parsing.</summary>
public class EnvironmentTests
{
    [Theory]
    [InlineData("dev")]
    [InlineData("ci-a")]
    [InlineData("a")]
    [InlineData("2")]
    [InlineData("feature-123-x")]
    public void Valid_environment_names_are_accepted(string name)
    {
        Assert.Equal(name, EnvironmentNames.Validate(name));
        Assert.Equal($"rates-{name}", EnvironmentNames.ProjectName(name));
        Assert.Equal(name, EnvironmentNames.FromProjectName($"rates-{name}"));
    }

    [Theory]
    [InlineData("Dev")]
    [InlineData("ci_a")]
    [InlineData("-dev")]
    [InlineData("dev-")]
    [InlineData("a b")]
    [InlineData("../etc")]
    [InlineData("dév")]
    [InlineData("a12345678901234567890123456789012345678901")]
    public void Invalid_environment_names_are_rejected_with_what_is_accepted(string name)
    {
        var error = Assert.Throws<BuildFailedException>(() => EnvironmentNames.Validate(name));

        Assert.Contains($"'{name}' is not a valid environment name (--env)", error.Message);
        Assert.Contains("lower-case letters, digits and '-'", error.Message);
    }

    [Fact]
    public void Empty_and_reserved_environment_names_are_rejected()
    {
        Assert.Contains("is empty", Assert.Throws<BuildFailedException>(() => EnvironmentNames.Validate("")).Message);
        Assert.Contains("reserved", Assert.Throws<BuildFailedException>(() => EnvironmentNames.Validate("build-bin")).Message);
    }

    [Theory]
    [InlineData("other-project")]
    [InlineData("rates-")]
    [InlineData("rates-Bad")]
    [InlineData(null)]
    public void Compose_projects_that_are_not_environments_are_ignored(string? project) =>
        Assert.Null(EnvironmentNames.FromProjectName(project));

    private static readonly Func<int> s_noFreePort = () => throw new InvalidOperationException("not expected to search");

    [Fact]
    public void A_requested_port_is_used_when_available()
    {
        var choice = PortAllocator.Choose(new PortRequest("API", 4000, 5000, 3000), _ => true, s_noFreePort, []);

        Assert.Equal(4000, choice.Port);
        Assert.Equal("given on the command line", choice.Reason);
    }

    [Fact]
    public void A_requested_port_in_use_fails_with_the_documented_message()
    {
        var error = Assert.Throws<BuildFailedException>(() =>
            PortAllocator.Choose(new PortRequest("API", 4000, null, null), _ => false, s_noFreePort, []));

        Assert.Equal("API port: port 4000 on 127.0.0.1 is already in use (choose another with --api-port/--db-port).", error.Message);
    }

    [Fact]
    public void The_same_port_for_two_services_is_rejected()
    {
        var error = Assert.Throws<BuildFailedException>(() =>
            PortAllocator.Choose(new PortRequest("database", 4000, null, null), _ => true, s_noFreePort, [4000]));

        Assert.Contains("give --api-port/--db-port different values", error.Message);
    }

    [Fact]
    public void The_port_of_the_last_Up_wins_over_the_default()
    {
        var choice = PortAllocator.Choose(new PortRequest("API", null, 3100, 3000), _ => true, s_noFreePort, []);

        Assert.Equal(new PortChoice(3100, "kept from the last Up of this environment"), choice);
    }

    [Fact]
    public void The_default_port_is_used_when_free_and_a_free_port_otherwise()
    {
        Assert.Equal(3000, PortAllocator.Choose(new PortRequest("API", null, null, 3000), _ => true, s_noFreePort, []).Port);

        var fallback = PortAllocator.Choose(new PortRequest("API", null, null, 3000), port => port != 3000, () => 41000, []);
        Assert.Equal(41000, fallback.Port);
        Assert.Equal("a free port (the default 3000 is in use)", fallback.Reason);
    }

    [Fact]
    public void A_persisted_port_that_is_now_taken_is_replaced_and_the_reason_says_so()
    {
        var choice = PortAllocator.Choose(new PortRequest("database", null, 5432, null), port => port != 5432, () => 42000, []);

        Assert.Equal(42000, choice.Port);
        Assert.Contains("5432 of the last Up is now in use", choice.Reason);
    }

    [Fact]
    public void A_free_port_already_chosen_for_the_other_service_is_skipped()
    {
        var offers = new Queue<int>([41000, 41001]);

        var choice = PortAllocator.Choose(new PortRequest("database", null, null, null), _ => true, offers.Dequeue, [41000]);

        Assert.Equal(41001, choice.Port);
    }

    private static readonly DockerEngine s_engine = new(true, "engine 27.0");
    private static readonly DockerEngine s_noEngine = new(false, "Cannot connect to the Docker daemon");

    [Theory]
    [InlineData(EnvironmentRuntime.Auto, false, false, true, EnvironmentRuntime.Docker)]
    [InlineData(EnvironmentRuntime.Auto, false, false, false, EnvironmentRuntime.Local)]
    [InlineData(EnvironmentRuntime.Auto, false, true, true, EnvironmentRuntime.Local)] // already up locally: kept
    [InlineData(EnvironmentRuntime.Auto, true, false, true, EnvironmentRuntime.Docker)]
    [InlineData(EnvironmentRuntime.Local, false, false, true, EnvironmentRuntime.Local)]
    [InlineData(EnvironmentRuntime.Docker, true, false, true, EnvironmentRuntime.Docker)]
    public void Up_picks_the_runtime(EnvironmentRuntime requested, bool upOnDocker, bool upLocally, bool engine, EnvironmentRuntime expected)
    {
        var (runtime, reason) = RuntimeSelection.ForUp("dev", requested, upOnDocker, upLocally, engine ? s_engine : s_noEngine);

        Assert.Equal(expected, runtime);
        Assert.False(string.IsNullOrWhiteSpace(reason));
    }

    [Fact]
    public void Auto_says_why_it_chose_local()
    {
        var (_, reason) = RuntimeSelection.ForUp("dev", EnvironmentRuntime.Auto, false, false, s_noEngine);

        Assert.Equal("auto: no Docker engine answered `docker info`: Cannot connect to the Docker daemon", reason);
    }

    [Fact]
    public void Docker_without_an_engine_fails_with_a_hint_to_use_local()
    {
        var error = Assert.Throws<BuildFailedException>(() =>
            RuntimeSelection.ForUp("dev", EnvironmentRuntime.Docker, false, false, s_noEngine));

        Assert.Equal("Docker engine not reachable: `docker info` failed: Cannot connect to the Docker daemon; start Docker or use --runtime local.", error.Message);
    }

    [Fact]
    public void A_runtime_other_than_the_one_the_environment_runs_with_is_refused()
    {
        var error = Assert.Throws<BuildFailedException>(() =>
            RuntimeSelection.ForUp("ci-a", EnvironmentRuntime.Docker, false, true, s_engine));

        Assert.Contains("Environment 'ci-a' is already up with the local runtime", error.Message);
        Assert.Contains("./build.sh Down --env ci-a", error.Message);
    }

    [Fact]
    public void DbSeed_needs_a_running_environment()
    {
        Assert.Equal(EnvironmentRuntime.Local, RuntimeSelection.ForRunning("dev", EnvironmentRuntime.Auto, false, true));

        var error = Assert.Throws<BuildFailedException>(() => RuntimeSelection.ForRunning("ci-b", EnvironmentRuntime.Auto, false, false));
        Assert.Equal("Environment 'ci-b' is not up; run ./build.sh Up --env ci-b", error.Message);
    }

    [Theory]
    [InlineData("v1.2.0", "3f2a9c1", false, "1.2.0")]
    [InlineData("release-7", "3f2a9c1", false, "release-7")]
    [InlineData("feature/x+y", "3f2a9c1", false, "feature-x-y")]
    [InlineData(null, "3f2a9c1", false, "3f2a9c1")]
    [InlineData(null, "3f2a9c1", true, "3f2a9c1-dirty")]
    [InlineData("v2.0.0", "3f2a9c1", true, "2.0.0-dirty")]
    [InlineData(null, null, false, "dev")]
    [InlineData(null, null, true, "dev")]
    public void The_image_version_comes_from_the_tag_or_commit(string? tag, string? commit, bool dirty, string expected)
    {
        Assert.Equal(expected, ImageVersion.Compute(tag, commit, dirty));
    }

    [Theory]
    [InlineData("1.2.0", true)]
    [InlineData("3f2a9c1", true)]
    [InlineData("3f2a9c1-dirty", false)]
    [InlineData("dev", false)]
    public void Only_versions_naming_a_commit_are_pushed(string version, bool publishable) =>
        Assert.Equal(publishable, ImageVersion.IsPublishable(version));

    [Theory]
    [InlineData("ghcr.io/my-org", "ghcr.io", "ghcr.io/my-org/rates-api")]
    [InlineData("https://ghcr.io/my-org/", "ghcr.io", "ghcr.io/my-org/rates-api")]
    [InlineData("localhost:5000", "localhost:5000", "localhost:5000/rates-api")]
    [InlineData("myaccount", null, "myaccount/rates-api")]
    public void Registries_are_parsed_into_a_login_server_and_repository(string value, string? server, string repository)
    {
        var registry = RegistryReference.Parse(value);

        Assert.Equal(server, registry.LoginServer);
        Assert.Equal(repository, registry.Repository("rates-api"));
    }

    [Theory]
    [InlineData("ghcr.io/My-Org")]
    [InlineData("")]
    [InlineData("ghcr.io//x")]
    public void Invalid_registries_are_rejected(string value) =>
        Assert.Contains("is not a registry (--registry)", Assert.Throws<BuildFailedException>(() => RegistryReference.Parse(value)).Message);

    [Theory]
    [InlineData("git@github.com:rates-dev/rates.git", "https://github.com/rates-dev/rates")]
    [InlineData("https://token@github.com/rates-dev/rates.git", "https://github.com/rates-dev/rates")]
    [InlineData("ssh://git@example.com:2222/team/rates", "https://example.com/team/rates")]
    [InlineData("/srv/git/rates", null)]
    [InlineData(null, null)]
    public void Git_remotes_become_web_addresses_without_credentials(string? remote, string? expected) =>
        Assert.Equal(expected, GitInfo.ToHttpsUrl(remote));

    [Fact]
    public void The_source_url_prefers_GitHub_Actions_then_the_remote_then_the_props()
    {
        Assert.Equal("https://github.com/o/r", GitInfo.SourceUrl("https://github.com", "o/r", "git@example.com:x/y.git", "https://p"));
        Assert.Equal("https://example.com/x/y", GitInfo.SourceUrl(null, null, "git@example.com:x/y.git", "https://p"));
        Assert.Equal("https://p", GitInfo.SourceUrl(null, null, null, "https://p"));
    }

    [Fact]
    public void Docker_ps_lines_are_parsed_with_ports_and_health()
    {
        var line = string.Join('\t', "abc", "rates-dev_db_1", "rates-dev", "db", "", "running", "Up 3 minutes (healthy)",
            "0.0.0.0:5432->5432/tcp, :::5432->5432/tcp");

        var container = ComposeContainer.Parse(line)!;

        Assert.Equal(("rates-dev", "db", false, true), (container.Project, container.Service, container.OneOff, container.IsRunning));
        Assert.Equal("healthy", container.Health);
        Assert.Equal(5432, container.HostPortFor(5432));
        Assert.Single(container.Ports);
    }

    [Fact]
    public void One_off_containers_and_unpublished_ports_are_recognised()
    {
        var container = ComposeContainer.Parse(string.Join('\t', "def", "rates-dev_seed_run_1", "rates-dev", "seed", "True", "exited",
            "Exited (0) 2 seconds ago", "3000/tcp"))!;

        Assert.True(container.OneOff);
        Assert.False(container.IsRunning);
        Assert.Equal("none", container.Health);
        Assert.Null(container.HostPortFor(3000));
        Assert.Null(ComposeContainer.Parse("not enough fields"));
    }

    [Fact]
    public void The_environment_password_is_generated_once_kept_private_and_reused()
    {
        var temp = AbsolutePath.Create(Path.Combine(Path.GetTempPath(), $"rates-env-{Guid.NewGuid():N}"));
        try
        {
            var store = new EnvironmentStore(temp, "ci-a");

            var (first, origin) = store.ResolveSecret(Credential.DbPassword, given: null, dataExists: false);
            var (second, _) = new EnvironmentStore(temp, "ci-a").ResolveSecret(Credential.DbPassword, given: null, dataExists: true);

            Assert.Matches("^[A-Za-z0-9]{32}$", first);
            Assert.StartsWith("generated", origin);
            Assert.Equal(first, second);
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.PasswordFile));

            // Another password for data created with the stored one would lock the database out: refused.
            var error = Assert.Throws<BuildFailedException>(() => store.ResolveSecret(Credential.DbPassword, "other", dataExists: true));
            Assert.Contains("keeps data created with another password", error.Message);
            Assert.DoesNotContain(first, error.Message);

            // Without data the given password replaces the stored one.
            Assert.Equal("other", store.ResolveSecret(Credential.DbPassword, "other", dataExists: false).Value);
            Assert.Equal("other", store.ReadPassword());
        }
        finally
        {
            temp.DeleteDirectory();
        }
    }

    [Fact]
    public void The_environment_state_round_trips_and_is_listed()
    {
        var temp = AbsolutePath.Create(Path.Combine(Path.GetTempPath(), $"rates-env-{Guid.NewGuid():N}"));
        try
        {
            var store = new EnvironmentStore(temp, "ci-b");
            store.Save(new EnvironmentState { Name = "ci-b", Runtime = EnvironmentRuntime.Local, ApiPort = 4100, DbPort = 4101, ApiPid = 42 });
            (temp / "build-bin").CreateDirectory();

            var state = store.Load()!;

            Assert.Equal((EnvironmentRuntime.Local, 4100, 4101, 42), (state.Runtime, state.ApiPort, state.DbPort, state.ApiPid));
            Assert.Contains("\"runtime\": \"local\"", File.ReadAllText(store.StateFile));
            Assert.Equal(["ci-b"], EnvironmentStore.ListNames(temp));
        }
        finally
        {
            temp.DeleteDirectory();
        }
    }

    [Fact]
    public void The_cluster_lives_where_the_unprivileged_server_account_can_reach_it()
    {
        if (OperatingSystem.IsWindows())
            return;
        var closed = AbsolutePath.Create(Path.Combine(Path.GetTempPath(), $"rates-closed-{Guid.NewGuid():N}")).CreateDirectory();
        try
        {
            File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var store = new EnvironmentStore(closed / "temp", "ci-a");

            // Only root hands the server to another account; everyone else keeps the data beside the other files.
            if (Environment.UserName == "root")
                Assert.StartsWith("/var/tmp/rates-environments/ci-a-", store.PgData.ToString());
            else
                Assert.Equal(closed / "temp" / "ci-a" / "pgdata", store.PgData);

            var open = new EnvironmentStore(AbsolutePath.Create(Path.GetTempPath()) / "rates-open", "ci-a");
            Assert.Equal(AbsolutePath.Create(Path.GetTempPath()) / "rates-open" / "ci-a" / "pgdata", open.PgData);
        }
        finally
        {
            closed.DeleteDirectory();
        }
    }

    [Fact]
    public void Up_decides_the_runtime_before_the_image_and_the_published_build()
    {
        var graph = BuildGraph.Create(new global::Build());

        // Publish compiles the service and the migrator only: Up builds no test project.
        Assert.Equal(["PrepareEnvironment", "Image", "Publish", "Up"], graph.Plan([graph.Find("Up")!]).Select(t => t.Name));
        Assert.Equal(["Image", "Push"], graph.Plan([graph.Find("Push")!]).Select(t => t.Name));
        Assert.Equal(["Down"], graph.Plan([graph.Find("Down")!]).Select(t => t.Name));
    }
}
