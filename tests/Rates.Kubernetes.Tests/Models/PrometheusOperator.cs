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
