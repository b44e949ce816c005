using Rates.Build.Framework;
using Spectre.Console;

namespace Rates.Build.Tests;

/// <summary>Runs a small test build with a captured console and injected environment / parameters.json.</summary>
internal static class TestHost
{
    public static async Task<RunResult> RunAsync(BuildBase build, string args, IReadOnlyDictionary<string, string>? environment = null,
        string? parametersJson = null, string? invocationDirectory = null, string? schemaPath = null)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
            Enrichment = new ProfileEnrichment { UseDefaultEnrichers = false },
        });
        console.Profile.Width = 250;
        var host = new BuildHost
        {
            Console = console,
            Environment = environment ?? new Dictionary<string, string>(),
            ParametersJson = parametersJson,
            InvocationDirectory = invocationDirectory ?? Path.GetTempPath(),
            RootDirectory = Path.GetTempPath(),
            SchemaPath = schemaPath,
        };
        var exitCode = await BuildRunner.ExecuteAsync(build, args.Split(' ', StringSplitOptions.RemoveEmptyEntries), host);
        return new RunResult(exitCode, writer.ToString());
    }
}

internal sealed record RunResult(int ExitCode, string Output)
{
    /// <summary>The status the closing table shows for <paramref name="target"/>, e.g. "Executed".</summary>
    public string StatusOf(string target)
    {
        var summary = Output[Output.LastIndexOf("Summary", StringComparison.Ordinal)..];
        var row = summary.Split('\n').First(l => l.StartsWith($"│ {target} ", StringComparison.Ordinal));
        return row.Split('│', StringSplitOptions.TrimEntries)[2];
    }
}
