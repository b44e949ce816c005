using System.Security.Cryptography;
using System.Text;

namespace Rates.Build.Batches;

/// <summary>
/// The API key writers of an environment sign in with: generated on the environment's first Up, kept in
/// .nuke/temp/&lt;env&gt;/api-key (mode 0600, git-ignored, never printed); the service only ever gets its SHA-256.
/// </summary>
internal static class WriterKeys
{
    public const string FileName = "api-key";

    /// <summary>The key id the service records with every batch the environment's key signs.</summary>
    public const string KeyId = "writer";

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A new key: "rk_" and 40 random letters and digits (about 238 bits).</summary>
    public static string Generate() => "rk_" + RandomNumberGenerator.GetString(Alphabet, 40);

    /// <summary>What the service is configured with (Auth:ApiKeys:&lt;id&gt;): the key's SHA-256 as 64 hex digits.</summary>
    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The stored key, or null when there is none.</summary>
    public static string? Read(AbsolutePath file) =>
        file.FileExists && File.ReadAllText(file).Trim() is { Length: > 0 } key ? key : null;
}
