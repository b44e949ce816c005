namespace Rates.Kubernetes.Tests.Infrastructure;

/// <summary>What each overlay promises (docs/kubernetes.md): the sizes the invariants are checked against.</summary>
public sealed record OverlayExpectation(
    string Name,
    int MinApiReplicas,
    int DatabaseInstances,
    bool SynchronousReplication,
    bool Backups,
    bool StrictZoneSpread);

public static class Overlays
{
    public static readonly IReadOnlyList<OverlayExpectation> Expected =
    [
        new("dev", MinApiReplicas: 1, DatabaseInstances: 1, SynchronousReplication: false, Backups: false, StrictZoneSpread: false),
        new("staging", MinApiReplicas: 2, DatabaseInstances: 2, SynchronousReplication: false, Backups: true, StrictZoneSpread: false),
        new("production", MinApiReplicas: 3, DatabaseInstances: 3, SynchronousReplication: true, Backups: true, StrictZoneSpread: true),
    ];

    /// <summary>Folders of deploy/kubernetes that are overlays (everything but base/ and components/).</summary>
    public static IReadOnlyList<string> OnDisk() =>
        Directory.EnumerateDirectories(RepositoryPaths.Kubernetes)
            .Select(Path.GetFileName)
            .Where(n => n is not ("base" or "components"))
            .Order(StringComparer.Ordinal)
            .ToList()!;

    public static TheoryData<string> Names => new(Expected.Select(e => e.Name));

    public static OverlayExpectation For(string name) => Expected.Single(e => e.Name == name);
}
