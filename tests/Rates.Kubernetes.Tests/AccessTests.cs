using k8s.Models;
using Rates.Api.Auth;
using Rates.Database;
using Rates.Kubernetes.Tests.Infrastructure;

namespace Rates.Kubernetes.Tests;

/// <summary>
/// Who may do what: batch writers sign in with keys whose hashes come from a Secret of the cluster's operator, the
/// API connects to PostgreSQL as the service's login role, and only the migrations as the owner of the tables.
/// </summary>
public sealed class AccessTests
{
    private const string ApiKeysPrefix = $"{ApiKeysOptions.SectionName}__{nameof(ApiKeysOptions.ApiKeys)}__";
    private const string AllowAnonymousWrites = $"{ApiKeysOptions.SectionName}__{nameof(ApiKeysOptions.AllowAnonymousWrites)}";
    private const string Username = DatabaseTests.Username;
    private const string Password = DatabaseTests.Password;

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_api_key_hashes_come_from_a_secret_the_cluster_operator_creates(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var sources = (rendered.ApiContainer.EnvFrom ?? []).Where(s => s.SecretRef is not null).ToList();

        var keys = Assert.Single(sources, s => s.Prefix == ApiKeysPrefix);
        Assert.Equal("rates-api-keys", keys.SecretRef.Name);
        // Required: an API that cannot authenticate any writer fails to start instead of answering every upload 403.
        Assert.NotEqual(true, keys.SecretRef.Optional);
        Assert.DoesNotContain(rendered.All<V1Secret>(), s => s.Metadata.Name == keys.SecretRef.Name);
        Assert.All(sources, s => Assert.False(string.IsNullOrEmpty(s.Prefix),
            $"{overlay}: Secret {s.SecretRef.Name} is loaded without a prefix, so its keys become settings no one checks."));
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void No_container_lets_anyone_write_without_a_key(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        foreach (var (owner, pod) in rendered.PodSpecs)
        {
            foreach (var container in pod.Containers.Concat(pod.InitContainers ?? []))
            {
                var value = rendered.Setting(container, AllowAnonymousWrites);
                Assert.True(value is null || bool.Parse(value) == false,
                    $"{overlay}: {owner}/{container.Name} sets {AllowAnonymousWrites}={value}: anyone reaching the Service could write batches.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_api_connects_as_the_service_role_and_only_the_migrations_as_the_owner(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var cluster = rendered.Database;
        var migrate = Assert.Single(rendered.Migrations.Spec.Template.Spec.Containers);
        var ownerSecret = $"{cluster.Metadata.Name}-app";

        Assert.Equal(SecretOf(rendered, migrate, Username), SecretOf(rendered, migrate, Password));
        Assert.Equal(ownerSecret, SecretOf(rendered, migrate, Username));

        var serviceSecret = SecretOf(rendered, rendered.ApiContainer, Username);
        Assert.Equal(serviceSecret, SecretOf(rendered, rendered.ApiContainer, Password));
        Assert.True(serviceSecret is not null && serviceSecret != ownerSecret,
            $"{overlay}: the API connects with the credentials of Secret {serviceSecret}, not those of a role of its own.");

        // The API's Secret sets the password of a login role the operator manages: a member of the service's group
        // role, with no right beyond it, and not the owner.
        var role = cluster.Spec.Managed?.Roles.SingleOrDefault(r => r.PasswordSecret?.Name == serviceSecret);
        Assert.True(role is not null, $"{overlay}: no managed role of Cluster {cluster.Metadata.Name} takes its password from Secret {serviceSecret}.");
        Assert.NotEqual(cluster.Spec.Bootstrap?.Initdb?.Owner, role.Name);
        Assert.Equal("present", role.Ensure ?? "present");
        Assert.True(role.Login);
        Assert.Equal([ServiceRole.GroupRole], role.InRoles);
        Assert.Equal((false, false, false, false), (role.Superuser ?? false, role.CreateDb ?? false, role.CreateRole ?? false, role.Replication ?? false));
        Assert.DoesNotContain(rendered.All<V1Secret>(), s => s.Metadata.Name == serviceSecret);
    }

    /// <summary>
    /// What migration 0004 needs from an administrator when the owner is not a superuser, done by the superuser when
    /// the cluster is created: the service's group role exists, and the owner owns schema public.
    /// </summary>
    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_cluster_is_created_with_what_the_least_privilege_migration_needs(string overlay)
    {
        var initdb = RenderedOverlay.Of(overlay).Database.Spec.Bootstrap?.Initdb;
        Assert.NotNull(initdb);

        var statements = initdb.PostInitApplicationSql.Select(s => string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Contains($"CREATE ROLE {ServiceRole.GroupRole} NOLOGIN", statements);
        Assert.Contains($"ALTER SCHEMA public OWNER TO {initdb.Owner}", statements);
    }

    private static string? SecretOf(RenderedOverlay rendered, V1Container container, string name) =>
        container.Env?.LastOrDefault(e => e.Name == name)?.ValueFrom?.SecretKeyRef?.Name;
}
