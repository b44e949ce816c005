using k8s.Models;
using YamlDotNet.Serialization;

namespace Rates.Kubernetes.Tests.Models;

// CloudNativePG's resources (postgresql.cnpg.io/v1) with the documented fields these manifests use
// (https://cloudnative-pg.io/documentation/current/cloudnative-pg.v1/). Parsed strictly: a field not declared
// here, e.g. a misspelled one, fails the parse instead of being ignored by the operator's defaults.

public sealed record CnpgCluster
{
    public required string ApiVersion { get; init; }
    public required string Kind { get; init; }
    public required V1ObjectMeta Metadata { get; init; }
    public required CnpgClusterSpec Spec { get; init; }
}

public sealed record CnpgClusterSpec
{
    public int Instances { get; init; }
    public string? ImageName { get; init; }
    public string? PrimaryUpdateStrategy { get; init; }
    public string? PrimaryUpdateMethod { get; init; }
    public int? MinSyncReplicas { get; init; }
    public int? MaxSyncReplicas { get; init; }
    public CnpgBootstrap? Bootstrap { get; init; }
    public CnpgPostgresConfiguration? Postgresql { get; init; }
    public CnpgStorage? Storage { get; init; }
    public V1ResourceRequirements? Resources { get; init; }
    public CnpgAffinity? Affinity { get; init; }
    public List<CnpgPluginConfiguration> Plugins { get; init; } = [];
    public CnpgManagedConfiguration? Managed { get; init; }
}

public sealed record CnpgBootstrap
{
    public CnpgInitDb? Initdb { get; init; }
}

public sealed record CnpgInitDb
{
    public string? Database { get; init; }
    public string? Owner { get; init; }

    /// <summary>Statements run once as the superuser in the new application database.</summary>
    [YamlMember(Alias = "postInitApplicationSQL")]
    public List<string> PostInitApplicationSql { get; init; } = [];
}

public sealed record CnpgPostgresConfiguration
{
    public Dictionary<string, string> Parameters { get; init; } = [];
}

public sealed record CnpgStorage
{
    public string? Size { get; init; }
    public string? StorageClass { get; init; }
}

public sealed record CnpgAffinity
{
    public bool? EnablePodAntiAffinity { get; init; }
    public string? TopologyKey { get; init; }
    public string? PodAntiAffinityType { get; init; }
}

/// <summary>A CNPG-I plugin the cluster uses (<c>spec.plugins</c>), e.g. Barman Cloud for WAL archiving and backups.</summary>
public sealed record CnpgPluginConfiguration
{
    public required string Name { get; init; }
    public bool? Enabled { get; init; }

    [YamlMember(Alias = "isWALArchiver")]
    public bool? IsWalArchiver { get; init; }

    public Dictionary<string, string> Parameters { get; init; } = [];
}

/// <summary>Roles the operator creates and keeps in sync (<c>spec.managed.roles</c>).</summary>
public sealed record CnpgManagedConfiguration
{
    public List<CnpgRole> Roles { get; init; } = [];
}

public sealed record CnpgRole
{
    public required string Name { get; init; }
    public string? Ensure { get; init; }
    public string? Comment { get; init; }
    public bool? Login { get; init; }
    public bool? Superuser { get; init; }

    [YamlMember(Alias = "createdb")]
    public bool? CreateDb { get; init; }

    [YamlMember(Alias = "createrole")]
    public bool? CreateRole { get; init; }

    public bool? Inherit { get; init; }
    public bool? Replication { get; init; }
    public int? ConnectionLimit { get; init; }
    public List<string> InRoles { get; init; } = [];
    public CnpgLocalObjectReference? PasswordSecret { get; init; }
}

public sealed record CnpgLocalObjectReference
{
    public required string Name { get; init; }
}

public sealed record CnpgScheduledBackup
{
    public required string ApiVersion { get; init; }
    public required string Kind { get; init; }
    public required V1ObjectMeta Metadata { get; init; }
    public required CnpgScheduledBackupSpec Spec { get; init; }
}

public sealed record CnpgScheduledBackupSpec
{
    /// <summary>Six fields, seconds first (robfig/cron), e.g. <c>0 0 2 * * *</c>.</summary>
    public required string Schedule { get; init; }
    public bool? Immediate { get; init; }
    public bool? Suspend { get; init; }
    public string? BackupOwnerReference { get; init; }
    public string? Method { get; init; }
    public CnpgBackupPluginConfiguration? PluginConfiguration { get; init; }
    public required CnpgLocalObjectReference Cluster { get; init; }
}

public sealed record CnpgBackupPluginConfiguration
{
    public required string Name { get; init; }
    public Dictionary<string, string> Parameters { get; init; } = [];
}
