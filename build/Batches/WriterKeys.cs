namespace Rates.Build.Batches;

/// <summary>
/// The API key writers of an environment sign in with, kept in .nuke/temp/&lt;env&gt;/api-key (mode 0600,
/// git-ignored, never printed); the service only ever gets its SHA-256.
/// </summary>
internal static class WriterKeys
{
    public const string FileName = "api-key";

    /// <summary>The stored key, or null when there is none.</summary>
    public static string? Read(AbsolutePath file) =>
        file.FileExists && File.ReadAllText(file).Trim() is { Length: > 0 } key ? key : null;
}
