using Rates.Kubernetes.Tests.Infrastructure;
using Rates.Kubernetes.Tests.Models;

namespace Rates.Kubernetes.Tests;

/// <summary>Prometheus (through the Prometheus Operator) scrapes the API where it serves its metrics.</summary>
public sealed class MonitoringTests
{
    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_pod_monitor_scrapes_the_metrics_endpoint_of_every_api_pod(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var monitor = rendered.Single<PodMonitor>(m => m.Metadata, "rates-api").Spec;

        Assert.True(ApiDeploymentTests.Selects(monitor.Selector, rendered.Api.Spec.Template.Metadata.Labels), $"{overlay}: the PodMonitor does not select the API pods.");
        var endpoint = Assert.Single(monitor.PodMetricsEndpoints);
        Assert.True(ServiceContract.Routes.Contains(endpoint.Path ?? "/metrics"), $"{overlay}: the PodMonitor scrapes {endpoint.Path}, which the service does not map.");
        Assert.Contains(rendered.ApiContainer.Ports, p => p.Name == endpoint.Port);
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_database_pod_monitor_selects_the_cluster_instances(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var monitor = rendered.Single<PodMonitor>(m => m.Metadata, "rates-db").Spec;

        Assert.Equal(rendered.Database.Metadata.Name, monitor.Selector.MatchLabels["cnpg.io/cluster"]);
        Assert.Equal("metrics", Assert.Single(monitor.PodMetricsEndpoints).Port);
    }
}
