using k8s.Models;

namespace Rates.Kubernetes.Tests.Models;

// The Prometheus Operator's resources (monitoring.coreos.com/v1) with the documented fields these manifests use
// (https://prometheus-operator.dev/docs/api-reference/api/). Parsed strictly, like the CloudNativePG ones.

public sealed record PodMonitor
{
    public required string ApiVersion { get; init; }
    public required string Kind { get; init; }
    public required V1ObjectMeta Metadata { get; init; }
    public required PodMonitorSpec Spec { get; init; }
}

public sealed record PodMonitorSpec
{
    /// <summary>The pod label whose value becomes the <c>job</c> label of the scraped series.</summary>
    public string? JobLabel { get; init; }
    public required V1LabelSelector Selector { get; init; }
    public List<PodMetricsEndpoint> PodMetricsEndpoints { get; init; } = [];
}

public sealed record PodMetricsEndpoint
{
    public string? Port { get; init; }
    public string? Path { get; init; }
    public string? Interval { get; init; }
    public string? ScrapeTimeout { get; init; }
}

public sealed record PrometheusRule
{
    public required string ApiVersion { get; init; }
    public required string Kind { get; init; }
    public required V1ObjectMeta Metadata { get; init; }
    public required PrometheusRuleSpec Spec { get; init; }
}

public sealed record PrometheusRuleSpec
{
    public List<PrometheusRuleGroup> Groups { get; init; } = [];
}

public sealed record PrometheusRuleGroup
{
    public required string Name { get; init; }
    public string? Interval { get; init; }
    public int? Limit { get; init; }
    public List<PrometheusRuleEntry> Rules { get; init; } = [];
}

/// <summary>A recording rule (<c>record</c>) or an alerting rule (<c>alert</c>).</summary>
public sealed record PrometheusRuleEntry
{
    public string? Record { get; init; }
    public string? Alert { get; init; }
    public required string Expr { get; init; }
    public string? For { get; init; }

    [YamlDotNet.Serialization.YamlMember(Alias = "keep_firing_for")]
    public string? KeepFiringFor { get; init; }

    public Dictionary<string, string> Labels { get; init; } = [];
    public Dictionary<string, string> Annotations { get; init; } = [];
}
