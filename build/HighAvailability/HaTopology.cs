using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Rates.Build.Environments;

namespace Rates.Build.HighAvailability;

/// <summary>
/// The names of deploy/ha/compose.yaml and haproxy.cfg that the build relies on: services, ports inside the
/// containers, HAProxy's backends. Keep them in step with those files.
/// </summary>
internal static class HaTopology
{
    public const string ComposeFile = "deploy/ha/compose.yaml";
    public const string PatroniImageContext = "deploy/ha/patroni";
    public const string PatroniImageName = "rates-patroni";

    public static readonly string[] EtcdServices = ["etcd1", "etcd2", "etcd3"];
    public static readonly string[] PatroniServices = ["patroni1", "patroni2", "patroni3"];
    public const string HaproxyService = "haproxy";
    public const string SeedService = "seed";
    public const string ApiService = "api";

    /// <summary>Ports inside the HAProxy container (haproxy.cfg).</summary>
    public const int ApiFrontPort = 3000;
    public const int WritePort = 5000;
    public const int ReadPort = 5001;
    public const int StatsPort = 8404;
    public const int RuntimeApiPort = 9999;

    /// <summary>Patroni's REST API inside each node.</summary>
    public const int PatroniApiPort = 8008;

    /// <summary>HAProxy's proxy of the API replicas (haproxy.cfg <c>listen api</c>).</summary>
    public const string ApiBackend = "api";

    /// <summary>PostgreSQL's superuser (patroni.yml postgresql.authentication.superuser).</summary>
    public const string Superuser = "postgres";

    /// <summary>Patroni's REST API user (patroni.yml restapi.authentication).</summary>
    public const string PatroniApiUser = "patroni";

    public const int DefaultApiReplicas = 2;
    public const int MaxApiReplicas = 10; // haproxy.cfg: server-template api 1-10

    /// <summary>
    /// The Patroni image tagged by the content of its build context, so a changed Dockerfile or script is rebuilt and
    /// environments of different checkouts never share an image built from other files.
    /// </summary>
    public static string PatroniImage(AbsolutePath rootDirectory)
    {
        var context = rootDirectory / PatroniImageContext;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in System.IO.Directory.EnumerateFiles(context, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(context, file) + "\n"));
            hash.AppendData(System.IO.File.ReadAllBytes(file));
        }

        return $"{PatroniImageName}:{Convert.ToHexStringLower(hash.GetHashAndReset())[..12]}";
    }
}

/// <summary>The published ports of one ha environment, all on 127.0.0.1.</summary>
/// <param name="Patroni">The REST APIs of patroni1, patroni2, patroni3.</param>
internal sealed record HaPorts(int Api, int Write, int Read, int Stats, IReadOnlyList<int> Patroni)
{
    public IEnumerable<int> All => [Api, Write, Read, Stats, .. Patroni];

    /// <summary>The ports that running containers publish (an environment started by hand has no ha.json).</summary>
    public static HaPorts? Of(IReadOnlyList<ComposeContainer> containers)
    {
        var haproxy = containers.FirstOrDefault(c => c.Service == HaTopology.HaproxyService);
        var patroni = HaTopology.PatroniServices.Select(s => containers.FirstOrDefault(c => c.Service == s)?.HostPortFor(HaTopology.PatroniApiPort)).ToList();
        if (haproxy?.HostPortFor(HaTopology.ApiFrontPort) is not { } api || haproxy.HostPortFor(HaTopology.WritePort) is not { } write
            || haproxy.HostPortFor(HaTopology.ReadPort) is not { } read || haproxy.HostPortFor(HaTopology.StatsPort) is not { } stats)
            return null;
        return new HaPorts(api, write, read, stats, patroni.OfType<int>().ToList());
    }
}

/// <summary>What Up decided for an ha environment before anything is built or started.</summary>
/// <param name="Ports">Every published port: API and write endpoint (--api-port, --db-port), read endpoint (--db-read-port),
/// HAProxy's stats page and the three Patroni REST APIs (--admin-port and the next three).</param>
internal sealed record HaPlan(HaPorts Ports, int ApiReplicas)
{
    public const string PortOptions = "--api-port, --db-port, --db-read-port, --admin-port";
}

/// <summary>
/// The secrets of an ha environment besides the database owner's password (EnvironmentStore's db-password):
/// PostgreSQL's superuser, the replication user and Patroni's REST API. Generated on the first Up, kept in
/// <c>.nuke/temp/&lt;env&gt;/ha-secrets.json</c> (mode 0600, git-ignored), never printed.
/// </summary>
internal sealed record HaSecrets(string Superuser, string Replication, string PatroniApi)
{
    private const string FileName = "ha-secrets.json";
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public IReadOnlyList<string> All => [Superuser, Replication, PatroniApi];

    public static AbsolutePath File(EnvironmentStore store) => store.Directory / FileName;

    public static HaSecrets? Load(EnvironmentStore store)
    {
        var file = File(store);
        if (!file.FileExists)
            return null;
        try
        {
            return JsonSerializer.Deserialize<HaSecrets>(System.IO.File.ReadAllText(file));
        }
        catch (JsonException ex)
        {
            throw new BuildFailedException($"{file} is not valid ({ex.Message}); the cluster's data was made with those secrets: " +
                                           $"wipe it with ./build.sh Down --env {store.Name} --volumes.");
        }
    }

    /// <summary>The stored secrets, else new ones (stored before anything is started).</summary>
    public static HaSecrets LoadOrCreate(EnvironmentStore store)
    {
        if (Load(store) is { } existing)
            return existing;
        string New() => RandomNumberGenerator.GetString(Alphabet, 32);
        var secrets = new HaSecrets(New(), New(), New());
        System.IO.Directory.CreateDirectory(store.Directory);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(File(store), options))
            JsonSerializer.Serialize(stream, secrets);
        return secrets;
    }

    public static void Delete(EnvironmentStore store) => System.IO.File.Delete(File(store));
}

/// <summary>
/// What the last Up of an ha environment chose beside <see cref="EnvironmentState"/>'s API and write ports: kept in the
/// environment's state (<c>"ha"</c> in environment.json), so Down, Status, Failover, Deploy and Chaos drive the same.
/// </summary>
internal sealed record HaState(HaPorts Ports, int ApiReplicas, string ApiImage, string PatroniImage)
{
    /// <summary>The variables deploy/ha/compose.yaml reads (values never on a command line).</summary>
    public IReadOnlyDictionary<string, string?> Variables(EnvironmentSecrets secrets, HaSecrets haSecrets) => new Dictionary<string, string?>
    {
        ["RATES_DB_NAME"] = LocalEnvironment.DatabaseName,
        ["RATES_DB_USER"] = LocalEnvironment.DatabaseUser,
        ["RATES_DB_PASSWORD"] = secrets.OwnerPassword,
        ["RATES_SERVICE_USER"] = EnvironmentSecrets.ServiceUser,
        ["RATES_SERVICE_PASSWORD"] = secrets.ServicePassword,
        ["RATES_API_KEY_SHA256"] = secrets.ApiKeyHash,
        ["RATES_DB_SUPERUSER_PASSWORD"] = haSecrets.Superuser,
        ["RATES_DB_REPLICATION_PASSWORD"] = haSecrets.Replication,
        ["RATES_PATRONI_API_PASSWORD"] = haSecrets.PatroniApi,
        ["RATES_API_IMAGE"] = ApiImage,
        ["RATES_PATRONI_IMAGE"] = PatroniImage,
        ["RATES_API_PORT"] = Text(Ports.Api),
        ["RATES_DB_PORT"] = Text(Ports.Write),
        ["RATES_DB_READ_PORT"] = Text(Ports.Read),
        ["RATES_HAPROXY_STATS_PORT"] = Text(Ports.Stats),
        ["RATES_PATRONI1_PORT"] = Text(Ports.Patroni.ElementAtOrDefault(0)),
        ["RATES_PATRONI2_PORT"] = Text(Ports.Patroni.ElementAtOrDefault(1)),
        ["RATES_PATRONI3_PORT"] = Text(Ports.Patroni.ElementAtOrDefault(2)),
    };

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
