using System.Text.RegularExpressions;
using k8s.Models;
using Rates.Kubernetes.Tests.Infrastructure;

namespace Rates.Kubernetes.Tests;

/// <summary>Every container is bounded, unprivileged and runs a pinned image.</summary>
public sealed partial class PodSecurityTests
{
    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Every_container_has_cpu_and_memory_requests_and_limits(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        foreach (var (owner, container) in Containers(rendered))
        {
            foreach (var resource in new[] { "cpu", "memory" })
            {
                Assert.True(container.Resources?.Requests?.ContainsKey(resource) == true, $"{overlay}: {owner}/{container.Name} has no {resource} request.");
                Assert.True(container.Resources?.Limits?.ContainsKey(resource) == true, $"{overlay}: {owner}/{container.Name} has no {resource} limit.");
                Assert.True(container.Resources.Requests[resource].ToDecimal() <= container.Resources.Limits[resource].ToDecimal(),
                    $"{overlay}: {owner}/{container.Name} requests more {resource} than its limit.");
            }
        }

        var database = rendered.Database.Spec.Resources;
        Assert.True(database?.Requests?.Keys.Order().SequenceEqual(["cpu", "memory"]) == true, $"{overlay}: the PostgreSQL instances have no cpu/memory requests.");
        Assert.True(database.Limits?.Keys.Order().SequenceEqual(["cpu", "memory"]) == true, $"{overlay}: the PostgreSQL instances have no cpu/memory limits.");
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Every_container_runs_as_non_root_on_a_read_only_root_filesystem(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        foreach (var (owner, pod) in rendered.PodSpecs)
        {
            Assert.False(pod.AutomountServiceAccountToken ?? true, $"{overlay}: {owner} mounts a service account token it does not use.");
            foreach (var container in pod.Containers.Concat(pod.InitContainers ?? []))
            {
                var name = $"{overlay}: {owner}/{container.Name}";
                var context = container.SecurityContext;
                Assert.True((context?.RunAsNonRoot ?? pod.SecurityContext?.RunAsNonRoot) == true, $"{name} may run as root (runAsNonRoot is not true).");
                Assert.True((context?.RunAsUser ?? pod.SecurityContext?.RunAsUser) is > 0, $"{name} has no non-zero runAsUser.");
                Assert.True(context?.ReadOnlyRootFilesystem == true, $"{name} has a writable root filesystem.");
                Assert.True(context?.AllowPrivilegeEscalation == false, $"{name} allows privilege escalation.");
                Assert.Equal(["ALL"], context?.Capabilities?.Drop ?? []);
                Assert.Equal("RuntimeDefault", (context?.SeccompProfile ?? pod.SecurityContext?.SeccompProfile)?.Type);
                // .NET writes temporary files: /tmp must be a volume when the root filesystem is read-only.
                Assert.Contains(container.VolumeMounts ?? [], m => m.MountPath == "/tmp" && pod.Volumes.Any(v => v.Name == m.Name && v.EmptyDir is not null));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Every_image_is_pinned(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var images = Containers(rendered).Select(c => ($"{c.Owner}/{c.Container.Name}", c.Container.Image))
            .Append(("Cluster rates-db", rendered.Database.Spec.ImageName ?? ""));
        foreach (var (owner, image) in images)
            Assert.True(IsPinned(image), $"{overlay}: {owner} runs '{image}', which is not pinned to a version tag or digest.");

        // The migrations come from the same image as the service they belong to.
        Assert.Equal(rendered.ApiContainer.Image, Assert.Single(rendered.Migrations.Spec.Template.Spec.Containers).Image);
    }

    [Theory]
    [InlineData("ghcr.io/rates-dev/rates-api:96731c2", true)]
    [InlineData("ghcr.io/cloudnative-pg/postgresql:13.22-202511100817-system-bookworm", true)]
    [InlineData("registry.local:5000/rates-api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("ghcr.io/rates-dev/rates-api", false)]
    [InlineData("ghcr.io/rates-dev/rates-api:latest", false)]
    [InlineData("registry.local:5000/rates-api", false)]
    [InlineData("rates-api", false)]
    public void Pinned_means_a_tag_other_than_latest_or_a_digest(string image, bool pinned)
    {
        Assert.Equal(pinned, IsPinned(image));
    }

    internal static bool IsPinned(string image)
    {
        if (image.Contains("@sha256:", StringComparison.Ordinal))
            return true;
        var lastSegment = image[(image.LastIndexOf('/') + 1)..];
        var colon = lastSegment.IndexOf(':');
        return colon > 0 && TagPattern().IsMatch(lastSegment[(colon + 1)..]) && lastSegment[(colon + 1)..] != "latest";
    }

    private static IEnumerable<(string Owner, V1Container Container)> Containers(RenderedOverlay rendered) =>
        rendered.PodSpecs.SelectMany(p => p.Pod.Containers.Concat(p.Pod.InitContainers ?? []).Select(c => (p.Owner, c)));

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();
}
