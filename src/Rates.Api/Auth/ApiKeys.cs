using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Rates.Api.Auth;

/// <summary>
/// Writers sign in with a bearer API key (<c>Authorization: Bearer &lt;key&gt;</c>). The key's SHA-256 is
/// compared in constant time with every configured hash (keys are long random strings, so a fast hash is
/// enough). Missing or unknown key: 401 with <c>WWW-Authenticate: Bearer</c>; no key configured at all: 403
/// (uploads are switched off, no credential will help). Both problem+json.
/// </summary>
public static class ApiKeys
{
    private const string Challenge = "Bearer realm=\"rates\"";

    private static readonly object KeyIdItem = new();

    public static IServiceCollection AddApiKeys(this IServiceCollection services)
    {
        services.AddOptions<ApiKeysOptions>()
            .BindConfiguration(ApiKeysOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiKeysOptions>, ApiKeysOptionsValidator>();
        services.AddSingleton<ApiKeyVerifier>();
        return services;
    }

    /// <summary>The endpoint answers only requests signed with a configured key (unless anonymous writes are allowed).</summary>
    public static RouteHandlerBuilder RequireApiKey(this RouteHandlerBuilder endpoint) =>
        endpoint
            .AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                var check = http.RequestServices.GetRequiredService<ApiKeyVerifier>().Verify(http.Request.Headers.Authorization.ToString());
                switch (check)
                {
                    case ApiKeyCheck.Signed signed:
                        http.Items[KeyIdItem] = signed.KeyId;
                        return await next(context);
                    case ApiKeyCheck.Anonymous:
                        return await next(context);
                    case ApiKeyCheck.Disabled:
                        return TypedResults.Problem(
                            statusCode: StatusCodes.Status403Forbidden,
                            title: "Uploads disabled",
                            detail: "This service accepts no batch uploads: no API key is configured (Auth:ApiKeys).");
                    case ApiKeyCheck.Missing:
                        http.Response.Headers.WWWAuthenticate = Challenge;
                        return TypedResults.Problem(
                            statusCode: StatusCodes.Status401Unauthorized,
                            title: "Unauthorized",
                            detail: "Writing batches needs an API key. Send it as: Authorization: Bearer <key>.");
                    default:
                        http.Response.Headers.WWWAuthenticate = Challenge + ", error=\"invalid_token\"";
                        return TypedResults.Problem(
                            statusCode: StatusCodes.Status401Unauthorized,
                            title: "Unauthorized",
                            detail: "The API key is not valid for this service. Send a key of this service as: Authorization: Bearer <key>.");
                }
            })
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

    /// <summary>The id of the key that signed this request; null when anonymous writes are allowed and none was sent.</summary>
    internal static string? KeyIdOf(HttpContext context) => context.Items.TryGetValue(KeyIdItem, out var id) ? id as string : null;
}

/// <summary>What the Authorization header of a write amounts to.</summary>
internal abstract record ApiKeyCheck
{
    public sealed record Signed(string KeyId) : ApiKeyCheck;

    /// <summary>No key sent, and anonymous writes are allowed.</summary>
    public sealed record Anonymous : ApiKeyCheck;

    /// <summary>No key is configured: nobody may write.</summary>
    public sealed record Disabled : ApiKeyCheck;

    public sealed record Missing : ApiKeyCheck;

    /// <summary>A credential that is not a bearer key of this service.</summary>
    public sealed record Invalid : ApiKeyCheck;
}

internal sealed class ApiKeyVerifier
{
    private const string Scheme = "Bearer ";

    private readonly (string Id, byte[] Hash)[] _keys;
    private readonly bool _allowAnonymous;

    public ApiKeyVerifier(IOptions<ApiKeysOptions> options, ILogger<ApiKeyVerifier> logger)
    {
        var settings = options.Value;
        _keys = settings.ApiKeys.Select(k => (k.Key, Convert.FromHexString(k.Value))).ToArray();
        _allowAnonymous = settings.AllowAnonymousWrites;
        if (_allowAnonymous)
        {
            logger.LogWarning("Auth:AllowAnonymousWrites is set: anyone who reaches the service may write batches");
        }
        else if (_keys.Length == 0)
        {
            logger.LogWarning("No API key is configured (Auth:ApiKeys): batch uploads are refused");
        }
    }

    public ApiKeyCheck Verify(string authorization)
    {
        if (string.IsNullOrEmpty(authorization))
        {
            return _allowAnonymous ? new ApiKeyCheck.Anonymous() : _keys.Length == 0 ? new ApiKeyCheck.Disabled() : new ApiKeyCheck.Missing();
        }

        if (_keys.Length == 0)
        {
            return _allowAnonymous ? new ApiKeyCheck.Invalid() : new ApiKeyCheck.Disabled();
        }

        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(authorization[Scheme.Length..]))
        {
            return new ApiKeyCheck.Invalid();
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[Scheme.Length..].Trim()));
        string? match = null;
        foreach (var (id, hash) in _keys)
        {
            // Every key is compared, so the time taken says nothing about which one (nearly) matched.
            if (CryptographicOperations.FixedTimeEquals(presented, hash))
            {
                match = id;
            }
        }

        return match is null ? new ApiKeyCheck.Invalid() : new ApiKeyCheck.Signed(match);
    }
}
