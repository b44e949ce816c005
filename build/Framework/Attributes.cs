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

/// <summary>
/// The targets that read a parameter, e.g. <c>[UsedBy(nameof(Up), nameof(DbSeed))]</c>. Every parameter names at least
/// one. The run header lists only the parameters of the planned targets, a value given on the command line for a
/// parameter no planned target uses is warned about, and <c>--help Target</c> lists the target's parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class UsedByAttribute(params string[] targets) : Attribute
{
    public IReadOnlyList<string> Targets { get; } = targets;
}

/// <summary>
/// The prefix of the environment variables a build reads its parameters from: with <c>[ParameterPrefix("RATES")]</c>,
/// <c>--pg-bin</c> is also read from <c>RATES_PG_BIN</c> (and from <c>PgBin</c>, the member's exact name). No other
/// spelling is read, so an unrelated <c>ENV</c> or <c>DUMP</c> in the caller's shell changes nothing.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class ParameterPrefixAttribute(string prefix) : Attribute
{
    public string Prefix { get; } = prefix;
}
