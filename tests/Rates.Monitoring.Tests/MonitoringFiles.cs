using YamlDotNet.RepresentationModel;

namespace Rates.Monitoring.Tests;

/// <summary>The monitoring files of the repository (deploy/monitoring) and the alert rules in them.</summary>
public static class MonitoringFiles
{
    public static string Root { get; } = FindRoot();

    public static string Directory => Path.Combine(Root, "deploy", "monitoring");

    public static IReadOnlyList<string> RuleFiles =>
        System.IO.Directory.GetFiles(Path.Combine(Directory, "rules"), "*.yml").Order(StringComparer.Ordinal).ToList();

    public static IReadOnlyList<string> RuleTestFiles =>
        System.IO.Directory.GetFiles(Path.Combine(Directory, "tests"), "*.test.yml").Order(StringComparer.Ordinal).ToList();

    public static string Runbook => Path.Combine(Root, "docs", "runbook.md");

    public static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    /// <summary>Every alerting rule of the rule files: name, annotations and labels.</summary>
    public static IReadOnlyList<AlertRule> Alerts() =>
        RuleFiles.SelectMany(file => Sequence(Load(file), "groups"))
            .SelectMany(group => Sequence(group, "rules"))
            .Where(rule => rule.Children.ContainsKey("alert"))
            .Select(rule => new AlertRule(
                rule["alert"].ToString(),
                Map(rule, "labels"),
                Map(rule, "annotations")))
            .ToList();

    public static IEnumerable<YamlMappingNode> Sequence(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) && value is YamlSequenceNode sequence
            ? sequence.Children.Cast<YamlMappingNode>()
            : [];

    private static Dictionary<string, string> Map(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) && value is YamlMappingNode map
            ? map.Children.ToDictionary(e => e.Key.ToString(), e => e.Value.ToString())
            : [];

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Rates.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Rates.sln above {AppContext.BaseDirectory}.");
    }
}

public sealed record AlertRule(string Name, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations);
