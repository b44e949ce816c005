using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Rates.Api.Metrics;
using Rates.Kubernetes.Tests.Infrastructure;
using Rates.Kubernetes.Tests.Models;
using YamlDotNet.Serialization;

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
        // The service serves /metrics on Metrics__Port only (when set): the scraped port must be that one.
        var metricsPort = rendered.Setting(rendered.ApiContainer, $"{MetricsOptions.SectionName}__{nameof(MetricsOptions.Port)}");
        var scraped = rendered.ApiContainer.Ports.SingleOrDefault(p => p.Name == endpoint.Port);
        Assert.True(scraped is not null, $"{overlay}: the PodMonitor scrapes port {endpoint.Port}, which the API container does not declare.");
        Assert.True(metricsPort is not null and not "0", $"{overlay}: Metrics__Port is not set, so /metrics is served on the public port.");
        Assert.Equal(metricsPort, scraped.ContainerPort.ToString(CultureInfo.InvariantCulture));
        // The rules of deploy/monitoring select the service's series by job="rates-api".
        Assert.Equal("rates-api", rendered.Api.Spec.Template.Metadata.Labels[monitor.JobLabel ?? ""]);
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_metrics_port_is_not_exposed_by_the_service(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var service = rendered.Single<V1Service>(s => s.Metadata, "rates-api");
        var metrics = rendered.ApiContainer.Ports.Single(p => p.ContainerPort.ToString(CultureInfo.InvariantCulture) ==
            rendered.Setting(rendered.ApiContainer, $"{MetricsOptions.SectionName}__{nameof(MetricsOptions.Port)}"));

        Assert.All(service.Spec.Ports, p => Assert.True(p.TargetPort.Value != metrics.Name && p.TargetPort.Value != metrics.ContainerPort.ToString(CultureInfo.InvariantCulture),
            $"{overlay}: Service rates-api routes port {p.Port} to the management port {metrics.Name}."));
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

    /// <summary>
    /// The PrometheusRules are the rule files of deploy/monitoring/rules, group for group and rule for rule
    /// (./build.sh K8sManifests regenerates them; editing only one side fails here).
    /// </summary>
    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_prometheus_rules_are_the_rule_files_of_the_repository(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var sources = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "deploy", "monitoring", "rules"), "*.yml")
            .Order(StringComparer.Ordinal)
            .Select(f => (File: Path.GetFileName(f), Groups: Yaml(File.ReadAllText(f))["groups"]!.ToJsonString()))
            .ToList();
        var manifests = rendered.Yaml.Split("\n---\n")
            .Select(Yaml)
            .Where(d => d["kind"]?.GetValue<string>() == "PrometheusRule")
            .Select(d => d["spec"]!["groups"]!.ToJsonString())
            .ToList();

        Assert.NotEmpty(sources);
        Assert.Equal(sources.Count, manifests.Count);
        foreach (var source in sources)
            Assert.True(manifests.Contains(source.Groups),
                $"{overlay}: no PrometheusRule has the groups of deploy/monitoring/rules/{source.File}: run ./build.sh K8sManifests and commit deploy/kubernetes/base/prometheus-rules.yaml.");
    }

    private static JsonObject Yaml(string text) => Canonical(new DeserializerBuilder().Build().Deserialize<object>(text))!.AsObject();

    /// <summary>A YAML tree as JSON, keys sorted and scalars as text, so both sides compare whatever their key order and quoting.</summary>
    private static JsonNode? Canonical(object? node) => node switch
    {
        IDictionary<object, object> map => new JsonObject(map.OrderBy(e => e.Key.ToString(), StringComparer.Ordinal)
            .Select(e => KeyValuePair.Create(e.Key.ToString()!, Canonical(e.Value)))),
        IList<object> list => new JsonArray(list.Select(Canonical).ToArray()),
        null => null,
        _ => JsonValue.Create(node.ToString()),
    };
}
