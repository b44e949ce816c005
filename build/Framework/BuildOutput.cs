using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Rates.Build.Framework;

internal enum TargetStatus
{
    Executed,
    Skipped,
    Failed,
    NotRun,
}

internal sealed record TargetResult(ExecutableTarget Target, TargetStatus Status, TimeSpan Duration, string Details = "");

/// <summary>Everything the build prints besides the targets' own output.</summary>
internal static class BuildOutput
{
    public const string Command = "./build.sh";

    /// <summary>The process console; readable in CI logs (no TTY: no colours unless the CI supports them, wide lines).</summary>
    public static IAnsiConsole CreateConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Interactive = InteractionSupport.No });
        if (Console.IsOutputRedirected)
        {
            // Spectre assumes 80 columns without a terminal, which wraps tables in logs.
            console.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns >= 40
                ? columns
                : 140;
        }

        return console;
    }

    public static void Error(IAnsiConsole console, string message) =>
        console.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    public static void Warning(IAnsiConsole console, string message) =>
        console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(message)}");

    public static void WritePlan(IAnsiConsole console, IReadOnlyList<ExecutableTarget> plan, IReadOnlyDictionary<ExecutableTarget, string> skipped)
    {
        console.WriteLine("Execution plan (OnlyWhen conditions are checked when a target is reached):");
        for (var i = 0; i < plan.Count; i++)
        {
            var note = skipped.TryGetValue(plan[i], out var reason) ? $"  (skipped: {reason})" : "";
            console.WriteLine($"  {i + 1}. {plan[i].Name}{note}");
        }
    }

    public static void WriteHeader(IAnsiConsole console, IReadOnlyList<string> requested, IReadOnlyList<ExecutableTarget> plan,
        IReadOnlyList<ResolvedParameter> parameters)
    {
        console.Write(new Rule("[bold]Rates build[/]").LeftJustified());
        console.WriteLine($"Targets: {string.Join(", ", requested)}");
        console.WriteLine($"Plan:    {string.Join(" -> ", plan.Select(t => t.Name))}");
        if (parameters.Count == 0)
            return;
        var table = NewTable("Parameter", "Value", "Source");
        foreach (var parameter in parameters)
            AddRow(table, parameter.Parameter.Name, parameter.DisplayValue, parameter.Source);
        console.Write(table);
    }

    public static void WriteTargetStart(IAnsiConsole console, ExecutableTarget target) =>
        console.Write(new Rule($"[bold]{Markup.Escape(target.Name)}[/]").LeftJustified());

    public static void WriteSummary(IAnsiConsole console, IReadOnlyList<TargetResult> results, TimeSpan total)
    {
        console.Write(new Rule("[bold]Summary[/]").LeftJustified());
        var table = NewTable("Target", "Status", "Duration", "Details");
        foreach (var result in results)
        {
            var colour = result.Status switch
            {
                TargetStatus.Executed => "green",
                TargetStatus.Skipped => "yellow",
                TargetStatus.Failed => "red",
                _ => "grey",
            };
            var duration = result.Status is TargetStatus.Executed or TargetStatus.Failed ? FormatDuration(result.Duration) : "-";
            table.AddRow(new Text(result.Target.Name), new Markup($"[{colour}]{result.Status}[/]"), new Text(duration),
                new Text(result.Details));
        }

        console.Write(table);
        var failed = results.Where(r => r.Status == TargetStatus.Failed).Select(r => r.Target.Name).ToList();
        console.MarkupLine(failed.Count == 0
            ? $"[green]Build succeeded[/] in {FormatDuration(total)}"
            : $"[red]Build failed[/] ({Markup.Escape(string.Join(", ", failed))}) after {FormatDuration(total)}");
    }

    public static string FormatDuration(TimeSpan duration) =>
        duration.ToString(duration.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss\.f", CultureInfo.InvariantCulture);

    internal static string Names(IEnumerable<ExecutableTarget> targets) => string.Join(", ", targets.Select(t => t.Name));

    internal static Table NewTable(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Square);
        foreach (var header in headers)
            table.AddColumn(new TableColumn(new Text(header)));
        return table;
    }

    // Text cells, not markup: names, values and descriptions may contain '[' and must print verbatim.
    internal static void AddRow(Table table, params string[] cells) =>
        table.AddRow(cells.Select(c => (IRenderable)new Text(c)).ToArray());
}
