namespace Rates.Build.Framework;

/// <summary>
/// Marks a field or property of the build as a parameter. Set from <c>--kebab-case</c> on the command line,
/// then an environment variable, then <c>.nuke/parameters.json</c>; otherwise the member's initializer is kept.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class ParameterAttribute(string description) : Attribute
{
    public string Description { get; } = description;

    /// <summary>Smallest accepted value of a numeric parameter.</summary>
    public double Minimum { get; set; } = double.NegativeInfinity;

    /// <summary>Largest accepted value of a numeric parameter.</summary>
    public double Maximum { get; set; } = double.PositiveInfinity;

    /// <summary>
    /// A string parameter that may be given without a value (<c>--send</c> alone) takes this value then; null: a value
    /// is required.
    /// </summary>
    public string? ValueWhenBare { get; set; }
}

/// <summary>
/// A parameter whose value is never printed (shown as <c>****</c>, also masked in command lines and process
/// output). Secrets have no default and are read from the command line or environment only, never from the
/// committed parameters.json.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;
