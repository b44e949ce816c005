using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Rates.Monitoring.Tests;

/// <summary>Every alert can be acted on: it says what and why, links its runbook section, and is unit tested.</summary>
public sealed partial class AlertRuleTests
{
    private static readonly string[] Severities = ["page", "ticket"];

    public static TheoryData<string> AlertNames() => [.. MonitoringFiles.Alerts().Select(a => a.Name)];

    [Fact]
    public void Alert_names_are_unique()
    {
        var names = MonitoringFiles.Alerts().Select(a => a.Name).ToList();

        Assert.NotEmpty(names);
        Assert.Equal(names.Distinct().Order(), names.Order());
    }

    [Theory]
    [MemberData(nameof(AlertNames))]
    public void Alert_has_severity_summary_description_and_a_runbook_section(string name)
    {
        var alert = MonitoringFiles.Alerts().Single(a => a.Name == name);

        Assert.Contains(alert.Labels.GetValueOrDefault("severity"), Severities);
        Assert.False(string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault("summary")), $"{name} has no summary");
        Assert.False(string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault("description")), $"{name} has no description");
        Assert.Equal($"docs/runbook.md#{name.ToLowerInvariant()}", alert.Annotations.GetValueOrDefault("runbook_url"));

        // A "### Name" heading, which Markdown renders with the anchor #name, and some text under it.
        var runbook = File.ReadAllText(MonitoringFiles.Runbook);
        var section = Regex.Match(runbook, $@"^### {Regex.Escape(name)}\s*\n(?<body>(?:(?!^#{{1,3}} ).*\n?)*)", RegexOptions.Multiline);
        Assert.True(section.Success, $"docs/runbook.md has no '### {name}' section");
        Assert.True(section.Groups["body"].Value.Trim().Length > 80, $"The runbook section of {name} says next to nothing");
    }

    [Theory]
    [MemberData(nameof(AlertNames))]
    public void Alert_has_a_unit_test_where_it_fires_and_one_where_it_stays_quiet(string name)
    {
        var checks = MonitoringFiles.RuleTestFiles
            .SelectMany(file => MonitoringFiles.Sequence(MonitoringFiles.Load(file), "tests"))
            .SelectMany(test => MonitoringFiles.Sequence(test, "alert_rule_test"))
            .Where(check => check["alertname"].ToString() == name)
            .ToList();

        Assert.Contains(checks, check => check.Children.TryGetValue("exp_alerts", out var alerts) && ((YamlSequenceNode)alerts).Children.Count > 0);
        Assert.Contains(checks, check => !check.Children.TryGetValue("exp_alerts", out var alerts) || ((YamlSequenceNode)alerts).Children.Count == 0);
    }
}
