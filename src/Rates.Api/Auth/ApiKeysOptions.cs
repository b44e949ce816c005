using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Rates.Api.Auth;

/// <summary>
/// Configuration section <c>Auth</c>: who may write. <c>Auth:ApiKeys:&lt;id&gt;</c> (environment variable
/// <c>Auth__ApiKeys__&lt;id&gt;</c>) is the SHA-256 of an API key, as 64 hex digits: the service never holds a key
/// itself. Several keys may be configured at once, so a key is rotated by adding the new one, moving the
/// writers over, then removing the old one. The id of the key that signed a batch is recorded with it.
/// </summary>
public sealed partial class ApiKeysOptions
{
    public const string SectionName = "Auth";

    public Dictionary<string, string> ApiKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Lets anyone who reaches the port write batches without a key. Off by default; meant for a private
    /// development machine only.
    /// </summary>
    public bool AllowAnonymousWrites { get; set; }

    internal static bool IsValidId(string id) => IdPattern().IsMatch(id);

    internal static bool IsValidHash(string? hash) => hash is not null && HashPattern().IsMatch(hash);

    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"\A[0-9a-fA-F]{64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex HashPattern();
}

internal sealed class ApiKeysOptionsValidator : IValidateOptions<ApiKeysOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiKeysOptions options)
    {
        var errors = new List<string>();
        foreach (var (id, hash) in options.ApiKeys)
        {
            if (!ApiKeysOptions.IsValidId(id))
            {
                errors.Add($"Auth:ApiKeys: the key id '{Shorten(id)}' is not valid: 1 to 64 letters, digits, '.', '_' or '-'.");
            }

            if (!ApiKeysOptions.IsValidHash(hash))
            {
                // Never echo the value: it might be a key pasted where its hash belongs.
                errors.Add($"Auth:ApiKeys:{Shorten(id)} must be the SHA-256 of the key as 64 hex digits (e.g. the output of: printf %s \"$KEY\" | sha256sum).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "...";
}
