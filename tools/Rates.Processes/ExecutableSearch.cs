namespace Rates.Processes;

/// <summary>Finds programs the way a shell does: in the folders of PATH, in order.</summary>
public static class ExecutableSearch
{
    /// <summary>The full path of <paramref name="program"/> in the first PATH folder that has it (with .exe on Windows), or null.</summary>
    public static string? FindOnPath(string program)
    {
        var names = OperatingSystem.IsWindows() && !program.EndsWith(".exe", StringComparison.OrdinalIgnoreCase)
            ? new[] { program + ".exe", program }
            : new[] { program };
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(folder => names.Select(name => Path.Combine(folder, name)))
            .FirstOrDefault(File.Exists);
    }
}
