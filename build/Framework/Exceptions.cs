namespace Rates.Build.Framework;

/// <summary>An expected build failure: the runner prints its message without a stack trace.</summary>
public class BuildFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The build class itself is wrong (cycle, unsupported parameter type...): a bug in build/.</summary>
internal sealed class BuildDefinitionException(string message) : Exception(message);

/// <summary>The invocation is wrong (unknown target, bad parameter value...): exit code 2, nothing ran.</summary>
internal sealed class BuildUsageException(IReadOnlyList<string> errors) : Exception(string.Join(Environment.NewLine, errors))
{
    public BuildUsageException(string error) : this([error]) { }

    public IReadOnlyList<string> Errors { get; } = errors;
}
