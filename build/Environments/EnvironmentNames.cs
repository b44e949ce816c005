using System.Text.RegularExpressions;

namespace Rates.Build.Environments;

/// <summary>
/// Rules for <c>--env NAME</c>. The name becomes the compose project <c>rates-NAME</c> and the folder
/// <c>.nuke/temp/NAME</c>, so it is limited to what both accept everywhere.
/// </summary>
internal static partial class EnvironmentNames
{
    public const string Default = "dev";
    public const int MaxLength = 40;
    public const string ProjectPrefix = "rates-";

    /// <summary>Folders of .nuke/temp that belong to the build itself, not to an environment.</summary>
    private static readonly string[] s_reserved = ["build-bin"];

    /// <summary>Returns the name when it is valid; otherwise throws a message that says what is accepted.</summary>
    /// <exception cref="BuildFailedException">The name is empty, too long, uses other characters or is reserved.</exception>
    public static string Validate(string? name)
    {
        var value = name ?? "";
        if (value.Trim().Length == 0)
            throw new BuildFailedException($"The environment name (--env) is empty; name one, e.g. --env {Default} (the default) or --env ci-a.");
        if (value.Length > MaxLength || !Pattern().IsMatch(value))
        {
            throw new BuildFailedException(
                $"'{value}' is not a valid environment name (--env): use 1 to {MaxLength} lower-case letters, digits and '-', " +
                $"starting and ending with a letter or digit, e.g. {Default} or ci-a. The name becomes the compose project " +
                $"{ProjectPrefix}<env> and the folder .nuke/temp/<env>.");
        }

        if (s_reserved.Contains(value))
            throw new BuildFailedException($"'{value}' is reserved: .nuke/temp/{value} belongs to the build itself. Choose another --env.");
        return value;
    }

    public static bool IsValid(string? name) => name is { Length: > 0 and <= MaxLength } && Pattern().IsMatch(name) && !s_reserved.Contains(name);

    /// <summary>The compose project of an environment: <c>rates-dev</c> for <c>dev</c>.</summary>
    public static string ProjectName(string environment) => ProjectPrefix + environment;

    /// <summary>The environment of a compose project name, or null when the project is not one of ours.</summary>
    public static string? FromProjectName(string? project) =>
        project is not null && project.StartsWith(ProjectPrefix, StringComparison.Ordinal) && IsValid(project[ProjectPrefix.Length..])
            ? project[ProjectPrefix.Length..]
            : null;

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex Pattern();
}
