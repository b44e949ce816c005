using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Rates.Kubernetes.Tests.Models;

namespace Rates.Kubernetes.Tests.Infrastructure;

/// <summary>One overlay rendered by kubectl kustomize and parsed strictly into typed objects.</summary>
public sealed class RenderedOverlay
{
    /// <summary>The custom resources of the manifests and their typed models.</summary>
    public static readonly IReadOnlyDictionary<string, Type> CustomResourceTypes = new Dictionary<string, Type>
    {
        ["postgresql.cnpg.io/v1/Cluster"] = typeof(CnpgCluster),
        ["postgresql.cnpg.io/v1/ScheduledBackup"] = typeof(CnpgScheduledBackup),
        ["monitoring.coreos.com/v1/PodMonitor"] = typeof(PodMonitor),
        ["monitoring.coreos.com/v1/PrometheusRule"] = typeof(PrometheusRule),
    };

    private static readonly ConcurrentDictionary<string, Lazy<RenderedOverlay>> s_cache = new();

    private RenderedOverlay(string name, string yaml, IReadOnlyList<object> objects)
    {
        Name = name;
        Yaml = yaml;
        Objects = objects;
    }

    public string Name { get; }
    public string Yaml { get; }
    public IReadOnlyList<object> Objects { get; }

    /// <summary>Renders and parses an overlay once per test run.</summary>
    public static RenderedOverlay Of(string name) =>
        s_cache.GetOrAdd(name, n => new Lazy<RenderedOverlay>(() => Render(n))).Value;

    public static RenderedOverlay Render(string name)
    {
        var yaml = Kustomize.Render(Path.Combine(RepositoryPaths.Kubernetes, name));
        return new RenderedOverlay(name, yaml, Parse(yaml));
    }

    /// <summary>
    /// Every document as its typed model: Kubernetes' own kinds as KubernetesClient's models, the custom resources
    /// as <see cref="CustomResourceTypes"/>. Strict: an unknown kind or field throws, naming it.
    /// </summary>
    public static IReadOnlyList<object> Parse(string yaml)
    {
        try
        {
            return KubernetesYaml.LoadAllFromString(yaml, CustomResourceTypes.ToDictionary(), strict: true);
        }
        catch (KeyNotFoundException ex)
        {
            throw new InvalidDataException($"A document has an apiVersion/kind without a typed model: {ex.Message}", ex);
        }
    }

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Single<T>(Func<T, V1ObjectMeta> metadata, string name)
    {
        var matches = All<T>().Where(o => metadata(o).Name == name).ToList();
        Assert.True(matches.Count == 1, $"{Name}: expected one {typeof(T).Name} named {name}, found {matches.Count}.");
        return matches[0];
    }

    public V1Deployment Api => Single<V1Deployment>(d => d.Metadata, "rates-api");
    public V1Container ApiContainer => Api.Spec.Template.Spec.Containers.Single(c => c.Name == "api");
    public V1Job Migrations => Single<V1Job>(j => j.Metadata, "rates-migrate");
    public V2HorizontalPodAutoscaler Autoscaler => Single<V2HorizontalPodAutoscaler>(h => h.Metadata, "rates-api");
    public V1PodDisruptionBudget DisruptionBudget => Single<V1PodDisruptionBudget>(p => p.Metadata, "rates-api");
    public CnpgCluster Database => All<CnpgCluster>().Single();

    /// <summary>Every pod template of the overlay (Deployments and Jobs), with a name for messages.</summary>
    public IEnumerable<(string Owner, V1PodTemplateSpec Template)> PodTemplates =>
        All<V1Deployment>().Select(d => ($"Deployment {d.Metadata.Name}", d.Spec.Template))
            .Concat(All<V1Job>().Select(j => ($"Job {j.Metadata.Name}", j.Spec.Template)));

    public IEnumerable<(string Owner, V1PodSpec Pod)> PodSpecs => PodTemplates.Select(t => (t.Owner, t.Template.Spec));

    /// <summary>Stands for the keys of a Secret loaded whole (envFrom): the cluster's operator creates it, so its keys are not known here.</summary>
    public const string AnySecretKey = "<key>";

    /// <summary>
    /// The settings a container receives: its env entries, the keys of the ConfigMaps it loads, and for a Secret it
    /// loads whole, one setting named by its prefix and <see cref="AnySecretKey"/>.
    /// </summary>
    public IReadOnlyList<(string Name, string? Value, string Source)> Settings(V1Container container)
    {
        var settings = new List<(string, string?, string)>();
        foreach (var source in container.EnvFrom ?? [])
        {
            if (source.SecretRef is { } secret)
            {
                settings.Add(($"{source.Prefix}{AnySecretKey}", null, $"Secret {secret.Name}/*"));
                continue;
            }

            Assert.True(source.ConfigMapRef is not null, $"{Name}: container {container.Name} loads env from something other than a ConfigMap or a Secret.");
            var map = Single<V1ConfigMap>(m => m.Metadata, source.ConfigMapRef.Name);
            settings.AddRange((map.Data ?? new Dictionary<string, string>()).Select(p => ($"{source.Prefix}{p.Key}", (string?)p.Value, $"ConfigMap {map.Metadata.Name}")));
        }

        foreach (var variable in container.Env ?? [])
        {
            var source = variable.ValueFrom?.SecretKeyRef is { } secret ? $"Secret {secret.Name}/{secret.Key}" : "env";
            settings.Add((variable.Name, variable.Value, source));
        }

        return settings;
    }

    public string? Setting(V1Container container, string name) =>
        Settings(container).LastOrDefault(s => s.Name == name).Value;

    public override string ToString() => Name;
}
