using System.Text.RegularExpressions;

namespace Rates.Synthetic;

/// <summary>
/// Real-world container ports (UN/LOCODE code and English name) under a three-level region
/// hierarchy: world area → sub-region → local area. Ports hang off local areas only.
/// The data is written by hand for this project; it is not taken from any other dataset.
/// </summary>
public sealed partial class PortCatalog
{
    /// <summary>The catalog used for the seed data and for synthetic batches.</summary>
    public static PortCatalog Default { get; } = new(CatalogData.Regions, CatalogData.Ports);

    /// <summary>A catalog of other data, e.g. the regions and ports of a running database, checked like the default one.</summary>
    /// <exception cref="InvalidOperationException">A slug or code does not fit, a parent is unknown, or the regions form a cycle.</exception>
    public static PortCatalog Create(IEnumerable<Region> regions, IEnumerable<Port> ports) => new(regions, ports);

    private readonly Dictionary<string, Region> _regionsBySlug;
    private readonly Dictionary<string, Port> _portsByCode;

    private PortCatalog(IEnumerable<Region> regions, IEnumerable<Port> ports)
    {
        _regionsBySlug = new Dictionary<string, Region>(StringComparer.Ordinal);
        foreach (var region in regions)
        {
            if (!SlugPattern().IsMatch(region.Slug))
                throw new InvalidOperationException($"Region slug '{region.Slug}' is not snake_case.");
            if (!_regionsBySlug.TryAdd(region.Slug, region))
                throw new InvalidOperationException($"Region slug '{region.Slug}' is defined twice.");
        }

        _portsByCode = new Dictionary<string, Port>(StringComparer.Ordinal);
        foreach (var port in ports)
        {
            if (!CodePattern().IsMatch(port.Code))
                throw new InvalidOperationException($"Port code '{port.Code}' is not a UN/LOCODE (two letters + three letters/digits).");
            if (!_regionsBySlug.ContainsKey(port.ParentSlug))
                throw new InvalidOperationException($"Port {port.Code} names unknown region '{port.ParentSlug}'.");
            if (!_portsByCode.TryAdd(port.Code, port))
                throw new InvalidOperationException($"Port code '{port.Code}' is defined twice.");
        }

        foreach (var region in _regionsBySlug.Values)
            _ = AncestorsOf(region.Slug); // throws on an unknown parent or a cycle

        Regions = OrderParentsFirst(_regionsBySlug.Values);
        Ports = [.. _portsByCode.Values.OrderBy(p => p.Code, StringComparer.Ordinal)];
    }

    /// <summary>All regions, each parent before its children (depth-first, children by slug), so inserts satisfy the foreign key.</summary>
    public IReadOnlyList<Region> Regions { get; }

    /// <summary>All ports, ordered by code (ordinal).</summary>
    public IReadOnlyList<Port> Ports { get; }

    public bool ContainsPort(string code) => _portsByCode.ContainsKey(code);

    public bool TryGetPort(string code, out Port port) => _portsByCode.TryGetValue(code, out port!);

    public bool TryGetRegion(string slug, out Region region) => _regionsBySlug.TryGetValue(slug, out region!);

    /// <summary>The chain from the region itself up to its root, e.g. <c>[china_yangtze_delta, east_asia, asia]</c>.</summary>
    public IReadOnlyList<Region> AncestorsOf(string slug)
    {
        var chain = new List<Region>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? current = slug;
        while (current is not null)
        {
            if (!_regionsBySlug.TryGetValue(current, out var region))
                throw new InvalidOperationException($"Region '{current}' (in the chain of '{slug}') does not exist.");
            if (!seen.Add(current))
                throw new InvalidOperationException($"Region '{slug}' has a parent cycle through '{current}'.");
            chain.Add(region);
            current = region.ParentSlug;
        }

        return chain;
    }

    /// <summary>The root region (world area) a port belongs to.</summary>
    public Region WorldAreaOf(string portCode) => AncestorsOf(_portsByCode[portCode].ParentSlug)[^1];

    private static List<Region> OrderParentsFirst(IEnumerable<Region> regions)
    {
        var children = regions
            .GroupBy(r => r.ParentSlug ?? string.Empty, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.Slug, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var ordered = new List<Region>();

        void Visit(string parent)
        {
            if (!children.TryGetValue(parent, out var list))
                return;
            foreach (var region in list)
            {
                ordered.Add(region);
                Visit(region.Slug);
            }
        }

        Visit(string.Empty);
        return ordered;
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[A-Z]{2}[A-Z0-9]{3}$")]
    private static partial Regex CodePattern();
}
