using System.CommandLine;
using System.CommandLine.Parsing;

namespace Rates.Build.Framework;

/// <summary>What the command line asked for.</summary>
internal sealed record Invocation(
    IReadOnlyList<string> Targets,
    bool Help,
    bool Plan,
    IReadOnlyList<string>? Skip,
    IReadOnlyDictionary<string, string> ParameterValues)
{
    /// <summary>True for a bare <c>--skip</c>: skip everything that was not named on the command line.</summary>
    public bool SkipAllButRequested => Skip is { Count: 0 };
}

/// <summary>Parses arguments with System.CommandLine: target names, built-in options and one option per parameter.</summary>
internal static class CommandLineParser
{
    public static Invocation Parse(IReadOnlyList<string> args, IReadOnlyList<ParameterDescriptor> parameters)
    {
        var targets = new Argument<string[]>("targets") { Arity = ArgumentArity.ZeroOrMore };
        var help = new Option<bool>("--help", "-h", "-?");
        var plan = new Option<bool>("--plan");
        var skip = new Option<string>("--skip") { Arity = ArgumentArity.ZeroOrOne };

        // Values stay raw text so command line, environment and parameters.json share one parser and one set of
        // messages. Bool options are Option<bool> so "--flag Target" does not swallow the target name.
        var options = parameters.ToDictionary(
            p => p,
            p => p.ValueType == typeof(bool) ? (Option)new Option<bool>(p.CliName)
                : new Option<string>(p.CliName) { Arity = p.Attribute.ValueWhenBare is null ? ArgumentArity.ExactlyOne : ArgumentArity.ZeroOrOne });

        var root = new RootCommand();
        root.Options.Clear(); // the build's own --help replaces the generated one; there is no --version
        root.Arguments.Add(targets);
        root.Options.Add(help);
        root.Options.Add(plan);
        root.Options.Add(skip);
        foreach (var option in options.Values)
            root.Options.Add(option);

        var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.GetValue(help)) // --help alone, or --help Target...: the named targets, whatever else was given
            return new Invocation((result.GetValue(targets) ?? []).Where(n => !n.StartsWith('-')).ToList(), true, false, null,
                new Dictionary<string, string>());
        if (result.Errors.Count > 0)
            throw new BuildUsageException(result.Errors.Select(e => e.Message).ToList());

        // Unknown options land among the target names; report them as options, not as targets.
        var names = result.GetValue(targets) ?? [];
        var unknownOptions = names.Where(n => n.StartsWith('-')).ToList();
        if (unknownOptions.Count > 0)
            throw new BuildUsageException(unknownOptions.Select(o => $"unknown option '{o}'").ToList());

        var values = new Dictionary<string, string>();
        foreach (var (parameter, option) in options)
        {
            if (result.GetResult(option) is not { Implicit: false } given)
                continue;
            values[parameter.Name] = option is Option<bool> flag
                ? (result.GetValue(flag) ? "true" : "false")
                : given.Tokens.Count == 0 ? parameter.Attribute.ValueWhenBare! : given.Tokens.Single().Value;
        }

        var skipped = result.GetResult(skip) is { Implicit: false } skipResult
            ? skipResult.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList()
            : null;
        return new Invocation(names, false, result.GetValue(plan), skipped, values);
    }
}
