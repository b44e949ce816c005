using System.Collections;
using System.Diagnostics;
using System.Linq.Expressions;
using System.Reflection;
using Spectre.Console;

namespace Rates.Build.Framework;

/// <summary>The outside world a run sees; tests pass a fake console, environment and parameters.json.</summary>
internal sealed record BuildHost
{
    public required IAnsiConsole Console { get; init; }
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public string? ParametersJson { get; init; }
    public string InvocationDirectory { get; init; } = System.Environment.CurrentDirectory;

    /// <summary>Working directory of processes and base of relative paths in parameters.json.</summary>
    public string RootDirectory { get; init; } = System.Environment.CurrentDirectory;

    /// <summary>Where build.schema.json is kept up to date; null to leave it alone.</summary>
    public string? SchemaPath { get; init; }

    public CancellationToken CancellationToken { get; init; }
}

/// <summary>Entry point of a build: <c>static Task&lt;int&gt; Main(string[] args) => BuildRunner.ExecuteAsync&lt;Build&gt;(args);</c></summary>
public static class BuildRunner
{
    public const int ExitTargetFailed = 1;
    public const int ExitUsage = 2;

    public static async Task<int> ExecuteAsync<TBuild>(string[] args) where TBuild : BuildBase, new()
    {
        var console = BuildOutput.CreateConsole();
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl+C cancels the running target (its processes are killed); a second one ends the build at once.
            e.Cancel = !cancellation.IsCancellationRequested;
            cancellation.Cancel();
        };

        try
        {
            var root = BuildBase.RootDirectory;
            var parametersFile = root / ParameterResolver.ParametersFileName;
            var host = new BuildHost
            {
                Console = console,
                Environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
                    .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? ""),
                ParametersJson = parametersFile.FileExists ? await File.ReadAllTextAsync(parametersFile) : null,
                InvocationDirectory = Environment.CurrentDirectory,
                RootDirectory = root,
                SchemaPath = root / ".nuke" / "build.schema.json",
                CancellationToken = cancellation.Token,
            };

            // Path parameters given relative to the caller's directory are resolved against InvocationDirectory;
            // from here on relative paths in targets mean the repository root.
            Directory.SetCurrentDirectory(root);
            return await ExecuteAsync(new TBuild(), args, host);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or TargetInvocationException)
        {
            BuildOutput.Error(console, (ex.InnerException ?? ex).Message);
            return ExitUsage;
        }
    }

    /// <summary>Runs <paramref name="build"/>, which must still hold its initializer values (they are the defaults).</summary>
    internal static async Task<int> ExecuteAsync(BuildBase build, IReadOnlyList<string> args, BuildHost host)
    {
        var console = host.Console;
        try
        {
            var parameters = ParameterDescriptor.Discover(build);
            var graph = BuildGraph.Create(build);
            ParameterDescriptor.CheckUsedBy(parameters, graph);
            if (host.SchemaPath is not null)
                BuildSchema.Write(host.SchemaPath, BuildSchema.Create(graph, parameters, host.RootDirectory));

            var invocation = CommandLineParser.Parse(args, parameters);
            if (invocation.Help && invocation.Targets.Count > 0)
            {
                foreach (var target in FindTargets(graph, invocation.Targets))
                    BuildHelp.WriteTarget(console, graph, target, parameters);
                return 0;
            }

            if (invocation.Help || (invocation.Targets.Count == 0 && !invocation.Plan))
            {
                BuildHelp.Write(console, graph);
                return 0;
            }

            if (invocation.Targets.Count == 0)
                throw new BuildUsageException($"--plan needs at least one target, e.g. {BuildOutput.Command} --plan Test");

            var requested = FindTargets(graph, invocation.Targets);
            var resolution = ParameterResolver.Resolve(parameters, new ParameterSources
            {
                CommandLine = invocation.ParameterValues,
                Environment = host.Environment,
                ParametersJson = host.ParametersJson,
                InvocationDirectory = host.InvocationDirectory,
                ParametersFileDirectory = host.RootDirectory,
            });
            foreach (var warning in resolution.Warnings)
                BuildOutput.Warning(console, warning);
            if (resolution.Errors.Count > 0)
                throw new BuildUsageException(resolution.Errors);
            foreach (var resolved in resolution.Parameters)
                resolved.Parameter.SetValue(build, resolved.Value);

            var plan = graph.Plan(requested);
            var skipped = SkippedByCommandLine(graph, plan, requested, invocation);
            foreach (var warning in UnusedOnCommandLine(parameters, plan, invocation))
                BuildOutput.Warning(console, warning);
            if (invocation.Plan)
            {
                BuildOutput.WritePlan(console, plan, skipped);
                return 0;
            }

            CheckRequirements(plan.Where(t => !skipped.ContainsKey(t)), parameters);

            var secrets = resolution.Parameters.Where(p => p.Parameter.IsSecret && p.Value is not null)
                .SelectMany(p => p.Value is string[] items ? items : [p.Value!.ToString()!]);
            build.Context = new BuildContext(console,
                new ProcessRunner(console.Profile.Out.Writer, host.RootDirectory, secrets), host.CancellationToken);

            // The header shows what the planned targets read, and whatever the command line gave.
            var shown = resolution.Parameters
                .Where(p => p.Parameter.IsUsedByAny(plan) || invocation.ParameterValues.ContainsKey(p.Parameter.Name)).ToList();
            BuildOutput.WriteHeader(console, requested.Select(t => t.Name).ToList(), plan, shown);
            var total = Stopwatch.StartNew();
            var results = await RunAsync(console, plan, skipped, host.CancellationToken);
            BuildOutput.WriteSummary(console, results, total.Elapsed);
            return results.Any(r => r.Status == TargetStatus.Failed) ? ExitTargetFailed : 0;
        }
        catch (BuildDefinitionException ex)
        {
            BuildOutput.Error(console, $"invalid build definition: {ex.Message}");
            return ExitUsage;
        }
        catch (BuildUsageException ex)
        {
            foreach (var error in ex.Errors)
                BuildOutput.Error(console, error);
            console.WriteLine($"Run {BuildOutput.Command} --help to list targets and parameters.");
            return ExitUsage;
        }
    }

    private static List<ExecutableTarget> FindTargets(BuildGraph graph, IEnumerable<string> names)
    {
        var unknown = names.Where(n => graph.Find(n) is null).ToList();
        if (unknown.Count > 0)
        {
            throw new BuildUsageException(unknown.Select(n =>
                $"unknown target '{n}'. Known targets: {string.Join(", ", graph.Targets.Select(t => t.Name))}").ToList());
        }

        return names.Select(n => graph.Find(n)!).Distinct().ToList();
    }

    private static Dictionary<ExecutableTarget, string> SkippedByCommandLine(BuildGraph graph, IReadOnlyList<ExecutableTarget> plan,
        IReadOnlyList<ExecutableTarget> requested, Invocation invocation)
    {
        if (invocation.Skip is null)
            return [];
        if (invocation.SkipAllButRequested)
            return plan.Except(requested).ToDictionary(t => t, _ => "--skip");

        // Skipping a target that is not scheduled is harmless; skipping one that does not exist is a typo.
        var named = FindTargets(graph, invocation.Skip);
        return plan.Intersect(named).ToDictionary(t => t, _ => "--skip");
    }

    /// <summary>A value given on the command line that no planned target reads: most likely a typo of the target or a mix-up.</summary>
    private static IEnumerable<string> UnusedOnCommandLine(IReadOnlyList<ParameterDescriptor> parameters, IReadOnlyList<ExecutableTarget> plan,
        Invocation invocation) =>
        parameters.Where(p => invocation.ParameterValues.ContainsKey(p.Name) && !p.IsUsedByAny(plan))
            .Select(p => $"{p.CliName} is not used by {string.Join(", ", plan.Select(t => t.Name))}; it is used by {string.Join(", ", p.UsedBy)}.");

    /// <summary>Fails before anything runs when a scheduled target's Requires(() => X) is not met.</summary>
    private static void CheckRequirements(IEnumerable<ExecutableTarget> targets, IReadOnlyList<ParameterDescriptor> parameters)
    {
        var errors = new List<string>();
        foreach (var target in targets)
        {
            foreach (var requirement in target.Definition.Requirements)
            {
                if (IsSet(requirement.Compile()()))
                    continue;
                var body = requirement.Body is UnaryExpression { NodeType: ExpressionType.Convert } convert ? convert.Operand : requirement.Body;
                var parameter = body is MemberExpression member ? parameters.FirstOrDefault(p => p.Member.Name == member.Member.Name) : null;
                errors.Add(parameter is not null
                    ? $"Target '{target.Name}' requires parameter '{parameter.Name}' ({parameter.CliName} / {parameter.EnvironmentName})"
                    : $"Target '{target.Name}' requires {body} to be set");
            }
        }

        if (errors.Count > 0)
            throw new BuildUsageException(errors);
    }

    private static bool IsSet(object? value) => value switch
    {
        null => false,
        string text => !string.IsNullOrWhiteSpace(text),
        IEnumerable items => items.Cast<object>().Any(),
        _ => true,
    };

    private static async Task<List<TargetResult>> RunAsync(IAnsiConsole console, IReadOnlyList<ExecutableTarget> plan,
        IReadOnlyDictionary<ExecutableTarget, string> skipped, CancellationToken cancellationToken)
    {
        var results = new List<TargetResult>();
        var stopped = false;
        foreach (var target in plan)
        {
            // After a failure nothing else runs: later targets may depend on what failed.
            if (stopped || cancellationToken.IsCancellationRequested)
            {
                results.Add(new TargetResult(target, TargetStatus.NotRun, TimeSpan.Zero, stopped ? "" : "cancelled"));
                continue;
            }

            BuildOutput.WriteTargetStart(console, target);
            if (skipped.TryGetValue(target, out var skipReason))
            {
                console.WriteLine($"Skipped ({skipReason}).");
                results.Add(new TargetResult(target, TargetStatus.Skipped, TimeSpan.Zero, skipReason));
                continue;
            }

            var stopwatch = Stopwatch.StartNew();
            try
            {
                var unmet = target.Definition.Conditions.FirstOrDefault(c => !c.IsMet());
                if (unmet is not null)
                {
                    var reason = unmet.Reason is null ? "condition not met" : $"condition not met: {unmet.Reason}";
                    console.WriteLine($"Skipped ({reason}).");
                    results.Add(new TargetResult(target, TargetStatus.Skipped, TimeSpan.Zero, reason));
                    continue;
                }

                foreach (var action in target.Definition.Actions)
                    await action();
                results.Add(new TargetResult(target, TargetStatus.Executed, stopwatch.Elapsed));
            }
            catch (Exception ex)
            {
                stopped = true;
                var (summary, details) = ex switch
                {
                    OperationCanceledException when cancellationToken.IsCancellationRequested => ("cancelled", "Cancelled."),
                    BuildFailedException => (FirstLine(ex.Message), ex.Message),
                    _ => ($"{ex.GetType().Name}: {FirstLine(ex.Message)}", ex.ToString()), // unexpected: keep the stack trace
                };
                BuildOutput.Error(console, $"Target '{target.Name}' failed: {details}");
                results.Add(new TargetResult(target, TargetStatus.Failed, stopwatch.Elapsed, summary));
            }
        }

        return results;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd('\r');
}
