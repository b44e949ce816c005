using k8s.Models;
using Rates.Kubernetes.Tests.Infrastructure;

namespace Rates.Kubernetes.Tests;

/// <summary>
/// What an overlay needs but does not hold (Secrets and the backups' ObjectStore, created in the namespace by the
/// cluster's operator) is exactly what docs/kubernetes.md tells them to create: a new reference without its
/// instructions fails here, and the overlays stay free of anything secret or site-specific.
/// </summary>
public sealed class PrerequisiteTests
{
    private static readonly string s_guide = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "kubernetes.md"));

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Every_secret_the_pods_and_the_cluster_use_is_generated_or_documented(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var generated = $"{rendered.Database.Metadata.Name}-app"; // CloudNativePG creates it with the cluster
        var referenced = ReferencedSecrets(rendered).Where(name => name != generated).ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(referenced);
        foreach (var name in referenced)
        {
            Assert.DoesNotContain(rendered.All<V1Secret>(), s => s.Metadata.Name == name);
            Assert.True(s_guide.Contains($"create secret generic {name}", StringComparison.Ordinal),
                $"{overlay}: Secret {name} is used, but docs/kubernetes.md does not say how to create it (kubectl create secret generic {name} ...).");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_backup_object_store_is_documented(string overlay)
    {
        var stores = RenderedOverlay.Of(overlay).Database.Spec.Plugins
            .Where(p => p.Name == DatabaseTests.BarmanCloudPlugin)
            .Select(p => p.Parameters.GetValueOrDefault("barmanObjectName"))
            .ToList();

        foreach (var store in stores)
            Assert.True(s_guide.Contains("kind: ObjectStore", StringComparison.Ordinal) && s_guide.Contains($"  name: {store}\n", StringComparison.Ordinal),
                $"{overlay}: the cluster archives to ObjectStore {store}, but docs/kubernetes.md does not show how to create it.");
    }

    private static IEnumerable<string> ReferencedSecrets(RenderedOverlay rendered)
    {
        foreach (var (_, pod) in rendered.PodSpecs)
        {
            foreach (var container in pod.Containers.Concat(pod.InitContainers ?? []))
            {
                foreach (var source in container.EnvFrom ?? [])
                {
                    if (source.SecretRef is { } secret)
                        yield return secret.Name;
                }

                foreach (var variable in container.Env ?? [])
                {
                    if (variable.ValueFrom?.SecretKeyRef is { } key)
                        yield return key.Name;
                }
            }
        }

        foreach (var role in rendered.Database.Spec.Managed?.Roles ?? [])
        {
            if (role.PasswordSecret is { } secret)
                yield return secret.Name;
        }
    }
}
