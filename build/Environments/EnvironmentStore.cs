using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rates.Build.HighAvailability;

namespace Rates.Build.Environments;

/// <summary>The runtime an environment uses; <see cref="Auto"/> only as a parameter value.</summary>
public enum EnvironmentRuntime
{
    Auto,
    Docker,
    Local,
}

/// <summary>
/// What the last Up of an environment decided, kept in <c>.nuke/temp/&lt;env&gt;/environment.json</c> so Down, Status,
/// DbSeed and the next Up work from any shell. Never holds the password (see <see cref="EnvironmentStore.PasswordFile"/>).
/// </summary>
internal sealed record EnvironmentState
{
    public required string Name { get; init; }
    public required EnvironmentRuntime Runtime { get; init; }
    public required int ApiPort { get; init; }
    public required int DbPort { get; init; }

    /// <summary>What the environment is made of (older state files have none: single).</summary>
    public Topology Topology { get; init; } = Topology.Single;

    public EnvironmentAddOns AddOns { get; init; } = EnvironmentAddOns.None;

    public EnvironmentShape Shape => new(Topology, AddOns);

    /// <summary>ha topology: its other ports, API replicas and images (the API and write ports are above).</summary>
    public HaState? Ha { get; init; }

    /// <summary>docker: the compose project.</summary>
    public string? Project { get; init; }

    /// <summary>docker: the images the containers run.</summary>
    public string? DbImage { get; init; }
    public string? ApiImage { get; init; }

    /// <summary>local: the PostgreSQL bin folder the cluster was started with (pg_ctl stop needs the same).</summary>
    public string? PgBin { get; init; }

    /// <summary>local: the service process.</summary>
    public int? ApiPid { get; init; }

    public DateTimeOffset Updated { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>The files of one environment under <c>.nuke/temp/&lt;env&gt;/</c> (git-ignored).</summary>
internal sealed class EnvironmentStore(AbsolutePath temporaryDirectory, string name)
{
    private const string StateFileName = "environment.json";

    /// <summary>Letters and digits only: the password travels through environment variables, SQL literals and URLs unquoted.</summary>
    private const string PasswordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const int PasswordLength = 32;

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public string Name { get; } = name;
    public AbsolutePath Directory { get; } = temporaryDirectory / name;
    public AbsolutePath StateFile => Directory / StateFileName;

    /// <summary>The database password of the environment (mode 0600).</summary>
    public AbsolutePath PasswordFile => SecretFile(Credential.DbPassword);

    /// <summary>
    /// The cluster's data directory: <c>.nuke/temp/&lt;env&gt;/pgdata</c>. When the build runs as root, PostgreSQL runs as
    /// an unprivileged account that must traverse every parent folder; for a checkout below a private folder (e.g.
    /// /root) the data goes to /var/tmp/rates-environments/&lt;env&gt;-&lt;hash of this folder&gt;/ instead. The choice
    /// depends only on the folders, so every later run finds the same place.
    /// </summary>
    public AbsolutePath PgData => DataParent / "pgdata";

    /// <summary>pg_ctl's server log (PostgresCluster puts it beside the data directory).</summary>
    public AbsolutePath PostgresLog => DataParent / "postgres.log";

    private AbsolutePath DataParent => _dataParent ??= ChooseDataParent();

    private AbsolutePath? _dataParent;

    /// <summary>local: the copy of the published service this environment runs (re-publishing never touches a running one).</summary>
    public AbsolutePath ApiDirectory => Directory / "api";

    public AbsolutePath ApiLog => Directory / "api.log";
    public AbsolutePath ApiPidFile => Directory / "api.pid";

    public bool Exists => Directory.DirectoryExists;

    /// <summary>Names of the environments that have a state file, sorted.</summary>
    public static IReadOnlyList<string> ListNames(AbsolutePath temporaryDirectory) =>
        temporaryDirectory.DirectoryExists
            ? System.IO.Directory.EnumerateDirectories(temporaryDirectory)
                .Select(Path.GetFileName)
                .Where(n => EnvironmentNames.IsValid(n) && File.Exists(Path.Combine(temporaryDirectory, n!, StateFileName)))
                .Select(n => n!)
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];

    public EnvironmentState? Load()
    {
        if (!StateFile.FileExists)
            return null;
        try
        {
            return JsonSerializer.Deserialize<EnvironmentState>(File.ReadAllText(StateFile), s_json);
        }
        catch (JsonException ex)
        {
            throw new BuildFailedException($"{StateFile} is not a valid environment state ({ex.Message}). Delete it (the environment's data stays) and run Up again.");
        }
    }

    public void Save(EnvironmentState state)
    {
        EnsureDirectory();
        // Write then rename: a crash mid-write never leaves a truncated file for the next run.
        var temporary = StateFile + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(state with { Updated = DateTimeOffset.UtcNow }, s_json) + "\n");
        File.Move(temporary, StateFile, overwrite: true);
    }

    /// <summary>The stored value of <paramref name="credential"/>, or null.</summary>
    public string? ReadSecret(Credential credential)
    {
        var file = SecretFile(credential);
        return file.FileExists ? File.ReadAllText(file).Trim() is { Length: > 0 } value ? value : null : null;
    }

    public AbsolutePath SecretFile(Credential credential) => Directory / credential.FileName;

    /// <summary>
    /// A secret of an environment that is already up (DbSeed, Benchmark): <paramref name="given"/> or the stored one;
    /// never generates one, since the running environment would refuse it.
    /// </summary>
    public string SecretOfRunning(Credential credential, string? given) =>
        !string.IsNullOrEmpty(given) ? given : ReadSecret(credential)
            ?? throw new BuildFailedException($"No {credential.What} is stored for environment '{Name}' ({SecretFile(credential)}); give it with {credential.Parameter}.");

    /// <summary>
    /// A secret of the environment: <paramref name="given"/> or the stored one, else a new random one. Whatever is used
    /// is stored, so later Up/Down/DbSeed from any shell use the same.
    /// </summary>
    /// <param name="dataExists">The environment keeps data initialised with the stored value.</param>
    public (string Value, string Origin) ResolveSecret(Credential credential, string? given, bool dataExists)
    {
        var stored = ReadSecret(credential);
        var file = SecretFile(credential);
        if (!string.IsNullOrEmpty(given))
        {
            if (given.Contains('\n', StringComparison.Ordinal) || given.Contains('\r', StringComparison.Ordinal))
                throw new BuildFailedException($"{credential.Parameter} must be on one line.");
            if (stored is not null && stored != given && dataExists)
            {
                throw new BuildFailedException(
                    $"The environment '{Name}' keeps data created with another {credential.What} (stored in {file}); it would " +
                    $"refuse {credential.Parameter}. Omit {credential.Parameter} to use the stored one, or wipe the data first: ./build.sh Down --env {Name} --volumes");
            }

            if (stored != given)
                WriteSecret(credential, given);
            return (given, credential.Parameter);
        }

        if (stored is not null)
            return (stored, $"stored in {file}");
        var generated = RandomNumberGenerator.GetString(PasswordAlphabet, PasswordLength);
        WriteSecret(credential, generated);
        return (generated, $"generated, stored in {file}");
    }

    public string? ReadPassword() => ReadSecret(Credential.DbPassword);

    /// <summary>
    /// Up: every secret of the environment, given, stored or generated (and then stored). Only the owner's password is
    /// bound to the data; the service role's password and the API key are set again by every Up, so they may change.
    /// </summary>
    public (EnvironmentSecrets Secrets, string OwnerPasswordOrigin) ResolveSecrets(string? givenDbPassword, string? givenApiKey, bool dataExists)
    {
        var (owner, origin) = ResolveSecret(Credential.DbPassword, givenDbPassword, dataExists);
        var (service, _) = ResolveSecret(Credential.ServicePassword, given: null, dataExists: false);
        var (key, _) = ResolveSecret(Credential.ApiKey, givenApiKey, dataExists: false);
        return (new EnvironmentSecrets(owner, service, key), origin);
    }

    /// <summary>The secrets of an environment that is up.</summary>
    /// <exception cref="BuildFailedException">It was brought up before all of them existed.</exception>
    public EnvironmentSecrets SecretsOfRunning() => ReadSecrets() ?? throw new BuildFailedException(
        $"Environment '{Name}' has no stored service role password or API key (it was brought up by an older build); " +
        $"run {RuntimeSelection.UpCommand(Name)} again to create them.");

    /// <summary>The secrets of an environment brought up before, or null when one of them was never stored.</summary>
    public EnvironmentSecrets? ReadSecrets() =>
        ReadSecret(Credential.DbPassword) is { } owner && ReadSecret(Credential.ServicePassword) is { } service && ReadSecret(Credential.ApiKey) is { } key
            ? new EnvironmentSecrets(owner, service, key)
            : null;

    /// <summary>Deletes everything of the environment under .nuke/temp (data, password, state, logs).</summary>
    public void Delete()
    {
        DataParent.DeleteDirectory();
        Directory.DeleteDirectory();
    }

    private AbsolutePath ChooseDataParent()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName != "root")
            return Directory;
        for (var folder = Directory.Parent; ; folder = folder.Parent)
        {
            if (folder.DirectoryExists && !File.GetUnixFileMode(folder).HasFlag(UnixFileMode.OtherExecute))
            {
                var hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Directory)))[..12];
                return AbsolutePath.Create($"/var/tmp/rates-environments/{Name}-{hash}");
            }

            if (folder.Parent.Equals(folder))
                return Directory;
        }
    }

    private void WriteSecret(Credential credential, string value)
    {
        var file = SecretFile(credential);
        EnsureDirectory();
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(file, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(value + "\n");
        // UnixCreateMode applies only to new files; an older file keeps its mode otherwise.
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private void EnsureDirectory()
    {
        Directory.CreateDirectory();
        // When the build runs as root, PostgreSQL runs as an unprivileged account that must traverse this folder
        // to reach pgdata; the password file itself stays 0600.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }
}
