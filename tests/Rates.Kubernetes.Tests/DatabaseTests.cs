using k8s.Models;
using Rates.Database;
using Rates.Kubernetes.Tests.Infrastructure;
using Rates.Kubernetes.Tests.Models;

namespace Rates.Kubernetes.Tests;

/// <summary>The CloudNativePG cluster, and how the API and the migrations reach it.</summary>
public sealed class DatabaseTests
{
    private const string Host = $"{DatabaseOptions.SectionName}__{nameof(DatabaseOptions.Host)}";
    private const string Name = $"{DatabaseOptions.SectionName}__{nameof(DatabaseOptions.Name)}";
    internal const string Username = $"{DatabaseOptions.SectionName}__{nameof(DatabaseOptions.Username)}";
    internal const string Password = $"{DatabaseOptions.SectionName}__{nameof(DatabaseOptions.Password)}";

    /// <summary>The Barman Cloud plugin of CloudNativePG, and the ObjectStore the cluster's operator creates for it.</summary>
    internal const string BarmanCloudPlugin = "barman-cloud.cloudnative-pg.io";
    internal const string BackupObjectStore = "rates-backups";

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_api_and_the_migrations_connect_to_the_primary_through_the_rw_service(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var cluster = rendered.Database;
        var migrate = Assert.Single(rendered.Migrations.Spec.Template.Spec.Containers);

        foreach (var container in new[] { rendered.ApiContainer, migrate })
        {
            Assert.Equal($"{cluster.Metadata.Name}-rw", rendered.Setting(container, Host));
            Assert.Equal(cluster.Spec.Bootstrap?.Initdb?.Database, rendered.Setting(container, Name));
            Assert.Null(rendered.Setting(container, $"ConnectionStrings__{DatabaseOptions.ConnectionStringName}"));
        }

        // The migrations run as the owner CloudNativePG generates credentials for (Secret <cluster>-app).
        foreach (var key in new[] { Username, Password })
            Assert.Equal($"Secret {cluster.Metadata.Name}-app/{key.Split("__")[1].ToLowerInvariant()}", Source(rendered, migrate, key));
        Assert.StartsWith("Secret ", Source(rendered, rendered.ApiContainer, Password));
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_cluster_runs_postgresql_13_with_the_overlay_topology(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var expected = Overlays.For(overlay);
        var spec = rendered.Database.Spec;

        Assert.Equal(expected.DatabaseInstances, spec.Instances);
        Assert.StartsWith("ghcr.io/cloudnative-pg/postgresql:13.", spec.ImageName);
        Assert.Equal("switchover", spec.PrimaryUpdateMethod);
        if (expected.SynchronousReplication)
        {
            Assert.True(spec.MinSyncReplicas is >= 1 && spec.MaxSyncReplicas >= spec.MinSyncReplicas && spec.MaxSyncReplicas < spec.Instances,
                $"{overlay}: synchronous replication needs 1 <= minSyncReplicas <= maxSyncReplicas < instances (got {spec.MinSyncReplicas}/{spec.MaxSyncReplicas}/{spec.Instances}).");
            Assert.Equal(("topology.kubernetes.io/zone", "required"), (spec.Affinity?.TopologyKey, spec.Affinity?.PodAntiAffinityType));
        }
        else
        {
            Assert.Null(spec.MinSyncReplicas);
            Assert.Null(spec.MaxSyncReplicas);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Backups_go_to_object_storage_on_a_schedule(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var cluster = rendered.Database;
        var archiver = cluster.Spec.Plugins.SingleOrDefault(p => p.Name == BarmanCloudPlugin);
        if (!Overlays.For(overlay).Backups)
        {
            Assert.Null(archiver);
            Assert.Empty(rendered.All<CnpgScheduledBackup>());
            return;
        }

        Assert.True(archiver is not null, $"{overlay}: Cluster {cluster.Metadata.Name} does not use the {BarmanCloudPlugin} plugin.");
        Assert.True(archiver.IsWalArchiver == true && archiver.Enabled != false, $"{overlay}: the {BarmanCloudPlugin} plugin does not archive the WAL, so no point in time between base backups can be restored.");
        // The object store is the namespace's ObjectStore, created by the cluster's operator: no bucket in the repository.
        Assert.Equal(BackupObjectStore, archiver.Parameters.GetValueOrDefault("barmanObjectName"));
        Assert.DoesNotContain("s3://", rendered.Yaml, StringComparison.Ordinal);

        var backup = Assert.Single(rendered.All<CnpgScheduledBackup>()).Spec;
        Assert.Equal(cluster.Metadata.Name, backup.Cluster.Name);
        Assert.Equal(("plugin", BarmanCloudPlugin), (backup.Method, backup.PluginConfiguration?.Name));
        Assert.Equal(6, backup.Schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length); // seconds first
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Only_the_api_and_its_migrations_reach_postgresql(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var cluster = rendered.Database.Metadata.Name;
        var instanceLabels = new Dictionary<string, string> { ["cnpg.io/cluster"] = cluster };
        var policy = Assert.Single(rendered.All<V1NetworkPolicy>(), p => ApiDeploymentTests.Selects(p.Spec.PodSelector, instanceLabels)).Spec;
        Assert.Contains("Ingress", policy.PolicyTypes);

        var peersOnPostgres = policy.Ingress
            .Where(rule => rule.Ports is null || rule.Ports.Any(p => p.Port?.Value == "5432"))
            .SelectMany(rule => rule.FromProperty ?? [new V1NetworkPolicyPeer()])
            .ToList();
        var clients = rendered.PodTemplates.Select(t => (t.Owner, Labels: t.Template.Metadata.Labels)).ToList();
        foreach (var (owner, labels) in clients)
            Assert.True(peersOnPostgres.Any(p => p.NamespaceSelector is null && p.PodSelector is { } s && ApiDeploymentTests.Selects(s, labels)),
                $"{overlay}: {owner} may not reach port 5432 of the database.");

        foreach (var peer in peersOnPostgres)
        {
            var allowed = peer.IpBlock is null && peer.PodSelector is { } selector && (
                peer.NamespaceSelector is null // same namespace: the service's pods or the cluster's own instances
                    ? clients.Any(c => ApiDeploymentTests.Selects(selector, c.Labels)) || ApiDeploymentTests.Selects(selector, instanceLabels)
                    : Label(peer.NamespaceSelector, "kubernetes.io/metadata.name") == "cnpg-system"
                      && Label(selector, "app.kubernetes.io/name") == "cloudnative-pg");
            Assert.True(allowed, $"{overlay}: the database's NetworkPolicy lets a peer other than the API, the migrations, the instances or the operator reach port 5432.");
        }
    }

    private static string? Label(V1LabelSelector selector, string key) =>
        selector.MatchLabels is { } labels && labels.TryGetValue(key, out var value) ? value : null;

    private static string? Source(RenderedOverlay rendered, V1Container container, string name) =>
        rendered.Settings(container).LastOrDefault(s => s.Name == name).Source;
}
