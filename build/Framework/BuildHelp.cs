using Spectre.Console;
using static Rates.Build.Framework.BuildOutput;

namespace Rates.Build.Framework;

/// <summary><c>--help</c>: the targets and options; <c>--help Target</c>: one target with its parameters.</summary>
internal static class BuildHelp
{
    public static void Write(IAnsiConsole console, BuildGraph graph)
    {
        console.WriteLine($"Usage: {Command} [<target>...] [--<parameter> <value>...] [--skip [<target>,...]] [--plan] [--help [<target>]]");
        console.WriteLine("       (build.ps1 takes the same arguments)");
        console.WriteLine("Without a target this help is printed. Several targets run in dependency order, each once.");
        console.WriteLine();

        var targets = NewTable("Target", "Depends on", "Description");
        foreach (var target in graph.Targets)
            AddRow(targets, target.Name, Ordering(target), target.Description);
        console.WriteLine("Targets");
        console.Write(targets);
        console.WriteLine();

        var options = NewTable("Option", "Meaning");
        AddRow(options, "--help, -h [<target>]", "Show this help, or one target with its dependencies and parameters.");
        AddRow(options, "--plan", "Print the execution order of the given targets without running anything.");
        AddRow(options, "--skip A,B", "Skip the listed targets (their dependencies still run). A bare --skip skips every target not named on the command line.");
        console.WriteLine("Options");
        console.Write(options);
        console.WriteLine();

        console.WriteLine($"The parameters of a target: {Command} --help <target>, e.g. {Command} --help {graph.Targets[0].Name}.");
        WriteResolutionRules(console);
    }

    /// <summary>One target: description, what it depends on and runs first, and the parameters of all of those.</summary>
    public static void WriteTarget(IAnsiConsole console, BuildGraph graph, ExecutableTarget target, IReadOnlyList<ParameterDescriptor> parameters)
    {
        var plan = graph.Plan([target]);
        console.Write(new Rule($"[bold]{Markup.Escape(target.Name)}[/]").LeftJustified());
        console.WriteLine(target.Description);
        console.WriteLine();
        var order = Ordering(target);
        console.WriteLine($"Depends on: {(order.Length == 0 ? "(nothing)" : order.Replace("\n", "; "))}");
        console.WriteLine($"Runs:       {string.Join(" -> ", plan.Select(t => t.Name))}");
        console.WriteLine();

        var used = parameters.Where(p => p.IsUsedByAny(plan)).ToList();
        if (used.Count == 0)
        {
            console.WriteLine($"{target.Name} takes no parameters.");
            return;
        }

        var table = NewTable("Parameter", "Command line / environment", "Type", "Default", "Description");
        foreach (var parameter in used)
        {
            var description = parameter.IsSecret ? parameter.Description + " (secret: never printed)" : parameter.Description;
            if (!parameter.UsedBy.Contains(target.Name)) // read by a target that runs first, e.g. Compile's --configuration
                description += $" (read by {string.Join(", ", parameter.UsedBy.Where(name => plan.Any(t => t.Name == name)))})";
            AddRow(table, parameter.Name, $"{parameter.CliName}\n{parameter.EnvironmentName}", parameter.TypeDisplay,
                parameter.IsSecret ? "" : parameter.FormatValue(parameter.DefaultValue), description);
        }

        console.WriteLine(plan.Count == 1 ? "Parameters" : $"Parameters (of {target.Name} and the targets it runs first)");
        console.Write(table);
        console.WriteLine();
        WriteResolutionRules(console);
    }

    private static void WriteResolutionRules(IAnsiConsole console)
    {
        console.WriteLine(
            "Parameters are resolved from the command line, then the environment variable shown under the option (or the " +
            $"parameter's exact name, e.g. Configuration), then {ParameterResolver.ParametersFileName} (key = parameter name), " +
            "then the default. Secrets come only from the command line or environment.");
        console.WriteLine("Exit code: 0 success, 1 a target failed, 2 invalid invocation or build definition (nothing ran).");
    }

    private static string Ordering(ExecutableTarget target)
    {
        var order = Names(target.DependsOn);
        if (target.After.Count > 0)
            order += (order.Length > 0 ? "\n" : "") + "after: " + Names(target.After);
        if (target.Before.Count > 0)
            order += (order.Length > 0 ? "\n" : "") + "before: " + Names(target.Before);
        return order;
    }
}
