namespace Rates.Monitoring.Tests;

/// <summary>The rule files load in Prometheus 2.42, and their unit tests (series in, alerts out) pass.</summary>
public sealed class PromtoolTests
{
    [Fact]
    public void Rule_files_pass_promtool_check_rules()
    {
        var result = Promtool.Run(["check", "rules", .. MonitoringFiles.RuleFiles.Select(Relative)]);

        Assert.True(result.ExitCode == 0, $"promtool check rules failed:{Environment.NewLine}{result.Output}");
        Assert.Contains("SUCCESS", result.Output);
    }

    [Fact]
    public void Prometheus_configuration_passes_promtool_check_config()
    {
        var result = Promtool.Run("check", "config", "--syntax-only", "prometheus.yml");

        Assert.True(result.ExitCode == 0, $"promtool check config failed:{Environment.NewLine}{result.Output}");
    }

    [Fact]
    public void Rule_unit_tests_pass()
    {
        Assert.NotEmpty(MonitoringFiles.RuleTestFiles);

        var result = Promtool.Run(["test", "rules", .. MonitoringFiles.RuleTestFiles.Select(Relative)]);

        Assert.True(result.ExitCode == 0, $"promtool test rules failed:{Environment.NewLine}{result.Output}");
        Assert.DoesNotContain("FAILED", result.Output);
    }

    private static string Relative(string path) => Path.GetRelativePath(MonitoringFiles.Directory, path);
}
