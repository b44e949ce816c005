using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rates.Api.Tests.Batches;
using Rates.Api.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests;

/// <summary>
/// The alert rules and the Grafana dashboard (deploy/monitoring) only use series that exist: the service's own, as
/// its /metrics exposes them once every kind of request happened; postgres_exporter's, from its queries file and its
/// built-in collectors; Prometheus' <c>up</c>; and the recording rules of the rule files.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class MonitoredMetricNamesTests(PostgresFixture postgres)
{
    /// <summary>postgres_exporter 0.11's own series that the rules and dashboard use (besides queries.yaml).</summary>
    private static readonly string[] ExporterBuiltIns = ["pg_up", "pg_stat_activity_count", "pg_settings_max_connections"];

    private static readonly HashSet<string> PromQlWords =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "inf", "nan", "le"];

    private static string MonitoringDirectory => Path.Combine(RepositoryPaths.Root, "deploy", "monitoring");

    [Fact]
    public async Task Rules_and_dashboard_use_only_metrics_that_exist()
    {
        var exposed = await ServiceMetricNamesAsync();
        var recorded = RuleDocuments().SelectMany(RuleNodes).Where(r => r.Children.ContainsKey("record")).Select(r => r["record"].ToString()).ToHashSet();
        var exporter = ExporterMetricNames();

        var used = RuleDocuments().SelectMany(RuleNodes).Select(r => (Source: "rules", Expr: r["expr"].ToString()))
            .Concat(DashboardExpressions().Select(e => (Source: "dashboard", Expr: e)))
            .SelectMany(e => MetricNames(e.Expr).Select(name => (e.Source, Name: name, e.Expr)))
            .ToList();

        Assert.Contains(used, u => u.Source == "dashboard");
        var unknown = used.Where(u => !(u.Name.Contains(':', StringComparison.Ordinal) ? recorded.Contains(u.Name)
                : u.Name.StartsWith("pg_", StringComparison.Ordinal) ? exporter.Contains(u.Name)
                : u.Name == "up" || exposed.Contains(u.Name)))
            .Select(u => $"{u.Source}: {u.Name} in {u.Expr.ReplaceLineEndings(" ")}")
            .Distinct()
            .ToList();
        Assert.True(unknown.Count == 0, "Series that nothing exposes:" + Environment.NewLine + string.Join(Environment.NewLine, unknown));
    }

    [Fact]
    public void Metric_names_are_found_in_expressions()
    {
        var names = MetricNames("""
            sum by (endpoint, le) (rate(http_request_duration_seconds_bucket{job="rates-api",le="0.064"}[5m]))
              / on (job) group_left max(endpoint:http_requests:rate5m offset 5m) > (14.4 * 0.0005) unless absent(up == 1)
            """);

        Assert.Equal(["endpoint:http_requests:rate5m", "http_request_duration_seconds_bucket", "up"], names.Order(StringComparer.Ordinal));
    }

    /// <summary>Series names in a PromQL expression: identifiers outside strings, label matchers, ranges and label lists, that are not functions or keywords.</summary>
    internal static IReadOnlyList<string> MetricNames(string expr)
    {
        var stripped = Regex.Replace(expr, "\"(?:[^\"\\\\]|\\\\.)*\"", " ");
        stripped = Regex.Replace(stripped, @"\{[^}]*\}|\[[^\]]*\]", " ");
        stripped = Regex.Replace(stripped, @"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ");
        return Identifier().Matches(stripped)
            .Where(m => !PromQlWords.Contains(m.Value) && !stripped[(m.Index + m.Length)..].TrimStart().StartsWith('('))
            .Where(m => !Regex.IsMatch(m.Value, @"^\d"))
            .Select(m => m.Value)
            .Distinct()
            .ToList();
    }

    [GeneratedRegex(@"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();

    /// <summary>Runs the service, makes every kind of request the rules watch, and reads the series names of /metrics.</summary>
    private async Task<HashSet<string>> ServiceMetricNamesAsync()
    {
        var api = await BatchApi.SharedAsync(postgres, "monitored-names");
        using (var rates = await api.Client.GetAsync("/rates?date_from=2037-01-01&date_to=2037-01-02&orig_code=CNSGH&dest_code=NLRTM"))
        {
            Assert.Equal(HttpStatusCode.OK, rates.StatusCode);
        }

        using (var committed = await api.Client.PutAsync("/batches/monitored-ok", Content(Json(Lane(Shanghai, Rotterdam, new DateOnly(2037, 2, 1), 3)), "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, committed.StatusCode);
        }

        using (var replayed = await api.Client.PutAsync("/batches/monitored-ok", Content(Json(Lane(Shanghai, Rotterdam, new DateOnly(2037, 2, 1), 3)), "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        }

        using (var invalid = await api.Client.PutAsync("/batches/monitored-bad", Content(Csv("ZZZZZ,NLRTM,2037-01-01,5"), "text/csv")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        }

        var text = await api.Client.GetStringAsync("/metrics");
        var names = new HashSet<string>();
        foreach (Match type in Regex.Matches(text, @"^# TYPE (\S+) (\S+)$", RegexOptions.Multiline))
        {
            var (name, kind) = (type.Groups[1].Value, type.Groups[2].Value);
            names.Add(name);
            if (kind == "histogram")
            {
                names.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
            }
        }

        return names;
    }

    private static IEnumerable<YamlMappingNode> RuleDocuments() =>
        Directory.GetFiles(Path.Combine(MonitoringDirectory, "rules"), "*.yml").Select(Load);

    private static IEnumerable<YamlMappingNode> RuleNodes(YamlMappingNode document) =>
        ((YamlSequenceNode)document["groups"]).Children.Cast<YamlMappingNode>()
            .SelectMany(group => ((YamlSequenceNode)group["rules"]).Children.Cast<YamlMappingNode>());

    /// <summary>Every query's metric names (prefix_column) of postgres-exporter/queries.yaml, plus the built-ins used.</summary>
    private static HashSet<string> ExporterMetricNames()
    {
        var queries = Load(Path.Combine(MonitoringDirectory, "postgres-exporter", "queries.yaml"));
        var names = new HashSet<string>(ExporterBuiltIns);
        foreach (var (prefix, query) in queries.Children)
        {
            foreach (var column in ((YamlSequenceNode)((YamlMappingNode)query)["metrics"]).Children.Cast<YamlMappingNode>())
            {
                var (name, settings) = column.Children.Single();
                if (((YamlMappingNode)settings)["usage"].ToString() is "GAUGE" or "COUNTER")
                {
                    names.Add($"{prefix}_{name}");
                }
            }
        }

        return names;
    }

    private static IEnumerable<string> DashboardExpressions()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(MonitoringDirectory, "grafana", "rates-dashboard.json")));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .ToList();
    }

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}
