using Rates.Build.Framework;

namespace Rates.Build.Tests;

public class ParameterTests
{
    public enum Flavour
    {
        Debug,
        Release,
    }

    [ParameterPrefix("APP")]
    private sealed class ParameterBuild : BuildBase
    {
        [Parameter("Build configuration.")]
        [UsedBy(nameof(Show))]
        public readonly Flavour Configuration = Flavour.Debug;

        [Parameter("Folder of the PostgreSQL binaries.")]
        [UsedBy(nameof(Show))]
        public string PgBinDir { get; private set; } = "default-dir";

        [Parameter("Port.", Minimum = 1, Maximum = 65535)]
        [UsedBy(nameof(Show))]
        public int Port = 5432;

        [Parameter("Item count.")]
        [UsedBy(nameof(Show))]
        public long Items = 10;

        [Parameter("Ratio.", Minimum = 0, Maximum = 1)]
        [UsedBy(nameof(Show))]
        public double Ratio = 0.5;

        [Parameter("Verbose output.")]
        [UsedBy(nameof(Show))]
        public bool Verbose;

        [Parameter("Tags.")]
        [UsedBy(nameof(Show))]
        public string[] Tags = ["a"];

        [Parameter("Dump file.")]
        [UsedBy(nameof(Show))]
        public AbsolutePath? Dump;

        [Parameter("Registry password.")]
        [Secret]
        [UsedBy(nameof(Show))]
        public string? RegistryPassword;

        public bool Ran { get; private set; }

        Target Show => _ => _.Executes(() => Ran = true);
    }

    private static async Task<(ParameterBuild Build, RunResult Result)> RunAsync(string args,
        Dictionary<string, string>? environment = null, string? json = null, string? invocationDirectory = null)
    {
        var build = new ParameterBuild();
        var result = await TestHost.RunAsync(build, args, environment, json, invocationDirectory);
        return (build, result);
    }

    public static TheoryData<string, string, string?, string> PrecedenceCases => new()
    {
        // command line, environment (name=value;...), parameters.json, expected
        { "--pg-bin-dir cli", "APP_PG_BIN_DIR=prefixed;PgBinDir=exact", """{ "PgBinDir": "json" }""", "cli" },
        { "", "APP_PG_BIN_DIR=prefixed;PgBinDir=exact", """{ "PgBinDir": "json" }""", "prefixed" },
        { "", "PgBinDir=exact", """{ "PgBinDir": "json" }""", "exact" },
        { "", "APP_PG_BIN_DIR=;PgBinDir=", """{ "PgBinDir": "json" }""", "json" }, // an empty variable counts as unset
        { "", "", """{ "pgbindir": "json" }""", "json" },
        { "", "", """{ "$schema": "./build.schema.json" }""", "default-dir" },
        { "", "", null, "default-dir" },
    };

    [Theory]
    [MemberData(nameof(PrecedenceCases))]
    public async Task Resolution_order_is_cli_then_prefixed_env_then_exact_name_then_json_then_default(
        string cli, string environment, string? json, string expected)
    {
        var (build, result) = await RunAsync($"Show {cli}", Variables(environment), json);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected, build.PgBinDir);
    }

    [Fact]
    public async Task Environment_variables_without_the_prefix_or_spelled_otherwise_are_ignored()
    {
        var (build, result) = await RunAsync("Show", Variables(
            "PG_BIN_DIR=a;PGBINDIR=b;pg-bin-dir=c;pgbindir=d;app_pg_bin_dir=e;CONFIGURATION=Release;PORT=1;VERBOSE=true;DUMP=/tmp/x.sql;TAGS=z"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("default-dir", build.PgBinDir);
        Assert.Equal(Flavour.Debug, build.Configuration);
        Assert.Equal(5432, build.Port);
        Assert.False(build.Verbose);
        Assert.Null(build.Dump);
        Assert.Equal(["a"], build.Tags);
    }

    private static Dictionary<string, string> Variables(string pairs) =>
        pairs.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);

    [Fact]
    public async Task Values_are_converted_to_the_member_type()
    {
        var directory = Path.Combine(Path.GetTempPath(), "caller");

        var (build, result) = await RunAsync(
            "Show --configuration release --port 8080 --items 3000000000 --ratio 0.25 --verbose --tags x,y --dump data/rates.sql",
            invocationDirectory: directory);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Flavour.Release, build.Configuration);
        Assert.Equal(8080, build.Port);
        Assert.Equal(3_000_000_000L, build.Items);
        Assert.Equal(0.25, build.Ratio);
        Assert.True(build.Verbose);
        Assert.Equal(["x", "y"], build.Tags);
        // Relative paths mean what the caller typed: they resolve against the caller's directory.
        Assert.Equal(Path.Combine(directory, "data", "rates.sql"), build.Dump?.ToString());
    }

    [Fact]
    public async Task Parameters_json_accepts_native_json_types()
    {
        var (build, result) = await RunAsync("Show", json: """
            {
              "$schema": "./build.schema.json",
              // comments are allowed
              "Port": 6543,
              "Verbose": true,
              "Tags": ["one", "two"],
              "Configuration": "Release",
            }
            """);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(6543, build.Port);
        Assert.True(build.Verbose);
        Assert.Equal(["one", "two"], build.Tags);
        Assert.Equal(Flavour.Release, build.Configuration);
        Assert.Contains("│ Port ", result.Output);
        Assert.Contains(".nuke/parameters.json", result.Output); // the header names each value's source
    }

    [Theory]
    [InlineData("--configuration Bogus", null, "Invalid value 'Bogus' for parameter 'Configuration' (--configuration): accepted values are Debug, Release")]
    [InlineData("", "APP_CONFIGURATION=bogus", "Invalid value 'bogus' for parameter 'Configuration' (environment variable APP_CONFIGURATION): accepted values are Debug, Release")]
    [InlineData("--configuration 1", null, "accepted values are Debug, Release")] // numbers are not enum names
    [InlineData("--port 70000", null, "Invalid value '70000' for parameter 'Port' (--port): accepted values are whole numbers from 1 to 65535")]
    [InlineData("--port 0", null, "accepted values are whole numbers from 1 to 65535")]
    [InlineData("--port 80.5", null, "accepted values are whole numbers from 1 to 65535")]
    [InlineData("", "APP_PORT=http", "Invalid value 'http' for parameter 'Port' (environment variable APP_PORT): accepted values are whole numbers from 1 to 65535")]
    [InlineData("--items lots", null, "accepted values are whole numbers from -9223372036854775808 to 9223372036854775807")]
    [InlineData("--ratio 2", null, "accepted values are numbers from 0 to 1")]
    [InlineData("", "APP_VERBOSE=maybe", "Invalid value 'maybe' for parameter 'Verbose' (environment variable APP_VERBOSE): accepted values are true, false")]
    public async Task Bad_values_fail_before_anything_runs_listing_accepted_values(string cli, string? environment, string expected)
    {
        var env = environment is null ? null : new Dictionary<string, string> { [environment.Split('=')[0]] = environment.Split('=')[1] };

        var (build, result) = await RunAsync($"Show {cli}", env);

        Assert.Equal(BuildRunner.ExitUsage, result.ExitCode);
        Assert.False(build.Ran);
        Assert.Contains(expected, result.Output);
    }

    [Fact]
    public async Task Bad_value_in_parameters_json_names_the_file_and_key()
    {
        var (build, result) = await RunAsync("Show", json: """{ "Port": "eighty" }""");

        Assert.Equal(BuildRunner.ExitUsage, result.ExitCode);
        Assert.False(build.Ran);
        Assert.Contains("Invalid value 'eighty' for parameter 'Port' (.nuke/parameters.json key Port): accepted values are whole numbers from 1 to 65535", result.Output);
    }

    [Fact]
    public async Task Malformed_parameters_json_is_reported()
    {
        var (_, result) = await RunAsync("Show", json: "{ \"Port\": ");

        Assert.Equal(BuildRunner.ExitUsage, result.ExitCode);
        Assert.Contains(".nuke/parameters.json is not valid JSON", result.Output);
    }

    [Fact]
    public async Task Unknown_keys_in_parameters_json_are_warned_about()
    {
        var (_, result) = await RunAsync("Show", json: """{ "Prot": 1 }""");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("warning: .nuke/parameters.json: 'Prot' is not a parameter of this build; ignored.", result.Output);
    }

    [Fact]
    public async Task Secrets_are_masked_in_the_header()
    {
        var (build, result) = await RunAsync("Show", new Dictionary<string, string> { ["APP_REGISTRY_PASSWORD"] = "hunter2-secret" });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("hunter2-secret", build.RegistryPassword);
        Assert.DoesNotContain("hunter2-secret", result.Output);
        Assert.Matches(@"│ RegistryPassword\s+│ \*\*\*\*\s+│ env APP_REGISTRY_PASSWORD", result.Output);
    }

    [Fact]
    public async Task Secrets_are_not_read_from_parameters_json()
    {
        var (build, result) = await RunAsync("Show", json: """{ "RegistryPassword": "committed-by-mistake" }""");

        Assert.Null(build.RegistryPassword);
        Assert.Contains("'RegistryPassword' is a secret and is only read from the command line or environment", result.Output);
        Assert.DoesNotContain("committed-by-mistake", result.Output);
    }

    [Fact]
    public async Task Help_of_a_target_lists_its_parameters_with_type_default_and_names()
    {
        var (_, result) = await RunAsync("--help Show");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"│ Configuration\s+│ --configuration\s+│ Debug \| Release\s+│ Debug\s+│ Build configuration\.", result.Output);
        Assert.Matches(@"│\s+│ APP_CONFIGURATION\s+│", result.Output);
        Assert.Matches(@"│ PgBinDir\s+│ --pg-bin-dir\s+│ string\s+│ default-dir", result.Output);
        Assert.Matches(@"│\s+│ APP_PG_BIN_DIR\s+│", result.Output);
        Assert.Matches(@"│ Port\s+│ --port\s+│ int: whole numbers from 1 to 65535\s+│ 5432", result.Output);
        Assert.Contains("Registry password. (secret: never printed)", result.Output);
    }

    private sealed class SecretWithDefaultBuild : BuildBase
    {
        [Parameter("Token.")]
        [Secret]
        [UsedBy(nameof(Show))]
        public string Token = "oops";

        Target Show => _ => _.Executes(() => { });
    }

    private sealed class UnsupportedTypeBuild : BuildBase
    {
        [Parameter("When.")]
        [UsedBy(nameof(Show))]
        public DateTime When;

        Target Show => _ => _.Executes(() => { });
    }

    [Fact]
    public async Task Definition_errors_in_parameters_are_reported()
    {
        var secret = await TestHost.RunAsync(new SecretWithDefaultBuild(), "--help");
        var unsupported = await TestHost.RunAsync(new UnsupportedTypeBuild(), "--help");

        Assert.Equal(BuildRunner.ExitUsage, secret.ExitCode);
        Assert.Contains("Parameter 'Token' of SecretWithDefaultBuild is a secret and must not have a default value.", secret.Output);
        Assert.Equal(BuildRunner.ExitUsage, unsupported.ExitCode);
        Assert.Contains("Parameter 'When' of UnsupportedTypeBuild has unsupported type DateTime", unsupported.Output);
    }
}
