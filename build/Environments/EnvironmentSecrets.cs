using System.Security.Cryptography;
using System.Text;

namespace Rates.Build.Environments;

/// <summary>
/// The secrets one environment runs with (each a <see cref="Credential"/> in the environment's store): the owner's
/// password for migrations and the seed, the service role's password the service connects with, and the API key
/// batch writers sign in with. Never printed; <see cref="All"/> is what output masks.
/// </summary>
internal sealed record EnvironmentSecrets(string OwnerPassword, string ServicePassword, string ApiKey)
{
    /// <summary>The service's login role: a member of rates_service (migration 0004), created by the migrate/seed job.</summary>
    public const string ServiceUser = "rates_api";

    /// <summary>The id under which the service knows the environment's key (<c>Auth__ApiKeys__build</c>); recorded on its batches.</summary>
    public const string ApiKeyId = "build";

    /// <summary>For commands that need none of them but run files that insist the variables are set (compose down).</summary>
    public static EnvironmentSecrets Unused { get; } = new("unused", "unused", "unused");

    /// <summary>What the service is given instead of the key: its SHA-256 as 64 hex digits.</summary>
    public string ApiKeyHash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ApiKey)));

    public IReadOnlyList<string> All => [OwnerPassword, ServicePassword, ApiKey];

    /// <summary>The service's settings for its database login and its writers' key.</summary>
    public IReadOnlyDictionary<string, string?> ServiceSettings() => new Dictionary<string, string?>
    {
        ["Database__Username"] = ServiceUser,
        ["Database__Password"] = ServicePassword,
        [$"Auth__ApiKeys__{ApiKeyId}"] = ApiKeyHash,
    };
}
