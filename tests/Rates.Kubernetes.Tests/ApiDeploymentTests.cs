using System.Globalization;
using k8s.Models;
using Rates.Api.Hosting;
using Rates.Kubernetes.Tests.Infrastructure;

namespace Rates.Kubernetes.Tests;

/// <summary>The API's Deployment, autoscaler and disruption budget, per overlay.</summary>
public sealed class ApiDeploymentTests
{
    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Probes_call_the_health_endpoints_the_service_maps(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var api = rendered.ApiContainer;

        Assert.Equal("/health/ready", api.ReadinessProbe?.HttpGet?.Path);
        Assert.Equal("/health/live", api.LivenessProbe?.HttpGet?.Path);
        Assert.NotNull(api.StartupProbe?.HttpGet);
        foreach (var (kind, probe) in new[] { ("readiness", api.ReadinessProbe!), ("liveness", api.LivenessProbe!), ("startup", api.StartupProbe!) })
        {
            Assert.True(ServiceContract.Routes.Contains(probe.HttpGet.Path),
                $"{overlay}: the {kind} probe calls {probe.HttpGet.Path}, which the service does not map (routes: {string.Join(", ", ServiceContract.Routes.Order())}).");
            AssertServesHttp(rendered, api, probe.HttpGet.Port, $"{kind} probe");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_grace_period_covers_the_pre_stop_pause_and_the_drain(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var pod = rendered.Api.Spec.Template.Spec;
        var preStop = rendered.ApiContainer.Lifecycle?.PreStop?.Sleep?.Seconds;
        Assert.True(preStop is > 0, $"{overlay}: the API has no preStop pause, so it may drain while the endpoint still receives traffic.");

        // After SIGTERM the service serves on for Shutdown__PreStopSeconds, then drains for Shutdown__DrainTimeoutSeconds.
        var defaults = new ShutdownOptions();
        var serviceWindow = SettingOrDefault(rendered, nameof(ShutdownOptions.PreStopSeconds), defaults.PreStopSeconds);
        var drain = SettingOrDefault(rendered, nameof(ShutdownOptions.DrainTimeoutSeconds), defaults.DrainTimeoutSeconds);
        var grace = pod.TerminationGracePeriodSeconds ?? 30;
        Assert.True(grace > preStop + serviceWindow + drain,
            $"{overlay}: terminationGracePeriodSeconds {grace} must exceed the preStop pause {preStop} s plus Shutdown__PreStopSeconds {serviceWindow} s plus Shutdown__DrainTimeoutSeconds {drain} s.");
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_autoscaler_keeps_the_overlay_minimum_and_owns_the_replica_count(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var expected = Overlays.For(overlay);
        var hpa = rendered.Autoscaler;

        Assert.Equal(("apps/v1", "Deployment", "rates-api"), (hpa.Spec.ScaleTargetRef.ApiVersion, hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.Equal(expected.MinApiReplicas, hpa.Spec.MinReplicas);
        Assert.True(hpa.Spec.MaxReplicas > hpa.Spec.MinReplicas, $"{overlay}: maxReplicas {hpa.Spec.MaxReplicas} leaves the autoscaler no room.");
        Assert.True(rendered.Api.Spec.Replicas is null, $"{overlay}: the Deployment sets replicas, which every apply would reset under the autoscaler.");
        Assert.Equal(0, int.Parse(rendered.Api.Spec.Strategy.RollingUpdate.MaxUnavailable.Value, CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_disruption_budget_allows_one_disruption_and_covers_the_api_pods(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var expected = Overlays.For(overlay);
        var pdb = rendered.DisruptionBudget.Spec;

        // At the overlay's minimum, a drain may evict exactly one pod: never none (drains would hang), never more.
        var allowed = pdb.MaxUnavailable is { } max ? int.Parse(max.Value, CultureInfo.InvariantCulture)
            : expected.MinApiReplicas - int.Parse(pdb.MinAvailable.Value, CultureInfo.InvariantCulture);
        Assert.Equal(1, allowed);
        Assert.True(Selects(pdb.Selector, rendered.Api.Spec.Template.Metadata.Labels), $"{overlay}: the PodDisruptionBudget does not select the API pods.");
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Api_pods_spread_across_zones(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var pod = rendered.Api.Spec.Template;
        var zone = pod.Spec.TopologySpreadConstraints?.SingleOrDefault(c => c.TopologyKey == "topology.kubernetes.io/zone");

        Assert.NotNull(zone);
        Assert.Equal(1, zone.MaxSkew);
        Assert.True(Selects(zone.LabelSelector, pod.Metadata.Labels), $"{overlay}: the zone spread constraint does not select the API pods.");
        Assert.Equal(Overlays.For(overlay).StrictZoneSpread ? "DoNotSchedule" : "ScheduleAnyway", zone.WhenUnsatisfiable);
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_service_routes_to_the_api_pods(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var service = rendered.Single<V1Service>(s => s.Metadata, "rates-api");

        Assert.All(service.Spec.Selector, label => Assert.Equal(label.Value, rendered.Api.Spec.Template.Metadata.Labels[label.Key]));
        AssertServesHttp(rendered, rendered.ApiContainer, Assert.Single(service.Spec.Ports).TargetPort, "Service targetPort");
    }

    internal static int SettingOrDefault(RenderedOverlay rendered, string key, int fallback) =>
        rendered.Setting(rendered.ApiContainer, $"{ShutdownOptions.SectionName}__{key}") is { } value
            ? int.Parse(value, CultureInfo.InvariantCulture)
            : fallback;

    internal static bool Selects(V1LabelSelector selector, IDictionary<string, string> labels) =>
        (selector.MatchLabels ?? new Dictionary<string, string>()).All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value)
        && (selector.MatchExpressions ?? []).All(e => e.OperatorProperty switch
        {
            "In" => labels.TryGetValue(e.Key, out var v) && e.Values.Contains(v),
            "NotIn" => !labels.TryGetValue(e.Key, out var v) || !e.Values.Contains(v),
            "Exists" => labels.ContainsKey(e.Key),
            "DoesNotExist" => !labels.ContainsKey(e.Key),
            _ => false,
        });

    /// <summary>The port (by name or number) is one the container declares and the service listens on.</summary>
    internal static void AssertServesHttp(RenderedOverlay rendered, V1Container container, IntOrString port, string what)
    {
        var declared = container.Ports.SingleOrDefault(p => p.Name == port.Value || p.ContainerPort.ToString(CultureInfo.InvariantCulture) == port.Value);
        Assert.True(declared is not null, $"{rendered.Name}: the {what} uses port {port.Value}, which container {container.Name} does not declare.");
        var listens = rendered.Setting(container, $"{ServiceOptions.SectionName}__{nameof(ServiceOptions.Port)}") ?? new ServiceOptions().Port.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(listens, declared.ContainerPort.ToString(CultureInfo.InvariantCulture));
    }
}
