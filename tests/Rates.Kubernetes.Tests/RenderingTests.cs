using k8s.Models;
using Rates.Kubernetes.Tests.Infrastructure;
using Rates.Kubernetes.Tests.Models;

namespace Rates.Kubernetes.Tests;

/// <summary>Every overlay renders with kubectl kustomize and every object is a well-formed, typed resource.</summary>
public sealed class RenderingTests
{
    [Fact]
    public void The_overlays_on_disk_are_the_documented_ones()
    {
        Assert.Equal(Overlays.Expected.Select(e => e.Name).Order(StringComparer.Ordinal), Overlays.OnDisk());
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Overlay_renders_into_the_expected_objects(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);

        var kinds = rendered.Objects.Select(o => o.GetType()).ToHashSet();
        Type[] required =
        [
            typeof(V1Namespace), typeof(V1ConfigMap), typeof(V1Deployment), typeof(V1Service), typeof(V1PodDisruptionBudget),
            typeof(V2HorizontalPodAutoscaler), typeof(V1NetworkPolicy), typeof(V1Job), typeof(CnpgCluster), typeof(PodMonitor),
            typeof(PrometheusRule),
        ];
        Assert.All(required, type => Assert.True(kinds.Contains(type), $"{overlay} renders no {type.Name}."));
        Assert.Equal(Overlays.For(overlay).Backups, kinds.Contains(typeof(CnpgScheduledBackup)));
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Every_object_lives_in_the_overlay_namespace(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var ns = Assert.Single(rendered.All<V1Namespace>()).Metadata.Name;

        var metadata = rendered.Objects.Where(o => o is not V1Namespace).Select(Metadata).ToList();
        Assert.All(metadata, m => Assert.True(m.NamespaceProperty == ns, $"{overlay}: {m.Name} is in namespace '{m.NamespaceProperty}', not {ns}."));
        Assert.Equal("restricted", Assert.Single(rendered.All<V1Namespace>()).Metadata.Labels["pod-security.kubernetes.io/enforce"]);
    }

    [Fact]
    public void The_strict_parser_rejects_a_misspelled_field()
    {
        const string manifest = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: rates-api
            spec:
              selector: {matchLabels: {app: x}}
              template:
                metadata: {labels: {app: x}}
                spec:
                  containers:
                    - name: api
                      image: rates-api:1
                      readinesProbe: {httpGet: {path: /health/ready, port: 3000}}
            """;

        var error = Assert.ThrowsAny<Exception>(() => RenderedOverlay.Parse(manifest));
        Assert.Contains("readinesProbe", error.ToString());
    }

    [Fact]
    public void The_strict_parser_rejects_an_undocumented_field_of_a_custom_resource()
    {
        const string manifest = """
            apiVersion: postgresql.cnpg.io/v1
            kind: Cluster
            metadata:
              name: rates-db
            spec:
              instances: 3
              minSyncReplica: 1
            """;

        var error = Assert.ThrowsAny<Exception>(() => RenderedOverlay.Parse(manifest));
        Assert.Contains("minSyncReplica", error.ToString());
    }

    [Fact]
    public void The_parser_rejects_a_kind_without_a_typed_model()
    {
        const string manifest = """
            apiVersion: example.com/v1
            kind: Widget
            metadata:
              name: w
            """;

        Assert.Throws<InvalidDataException>(() => RenderedOverlay.Parse(manifest));
    }

    internal static V1ObjectMeta Metadata(object resource) => resource switch
    {
        IMetadata<V1ObjectMeta> typed => typed.Metadata,
        CnpgCluster c => c.Metadata,
        CnpgScheduledBackup b => b.Metadata,
        PodMonitor m => m.Metadata,
        PrometheusRule r => r.Metadata,
        _ => throw new InvalidOperationException($"No metadata accessor for {resource.GetType().Name}."),
    };
}
