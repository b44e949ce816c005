namespace Rates.Processes;

/// <summary>Command lines as a POSIX shell reads them, so one shown in a log or a report can be pasted into a terminal.</summary>
public static class CommandLine
{
    /// <summary>The argument as is when it needs no quoting, else in single quotes (a quote inside becomes <c>'\''</c>).</summary>
    public static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%*".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The program and its arguments, each quoted where needed.</summary>
    public static string Format(string program, IEnumerable<string> arguments) =>
        string.Join(' ', arguments.Prepend(program).Select(Quote));
}
