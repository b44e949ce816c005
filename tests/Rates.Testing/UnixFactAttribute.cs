namespace Rates.Testing;

/// <summary>A test of something only Unix has (e.g. SIGTERM): reported as skipped on Windows, with the reason.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute(string needs)
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = $"needs {needs}, which Windows does not have";
        }
    }
}
