namespace Rates.Synthetic.Tests;

public class PortCatalogTests
{
    private static readonly PortCatalog Catalog = PortCatalog.Default;

    [Fact]
    public void Has_at_least_100_ports_with_unique_well_formed_un_locodes()
    {
        Assert.True(Catalog.Ports.Count >= 100, $"only {Catalog.Ports.Count} ports");
        Assert.All(Catalog.Ports, p => Assert.Matches("^[A-Z]{2}[A-Z0-9]{3}$", p.Code));
        Assert.Equal(Catalog.Ports.Count, Catalog.Ports.Select(p => p.Code).Distinct(StringComparer.Ordinal).Count());
        Assert.All(Catalog.Ports, p => Assert.False(string.IsNullOrWhiteSpace(p.Name)));
    }

    [Theory]
    [InlineData("CNSGH", "Shanghai")]
    [InlineData("NLRTM", "Rotterdam")]
    [InlineData("SGSIN", "Singapore")]
    [InlineData("USLAX", "Los Angeles")]
    [InlineData("DEHAM", "Hamburg")]
    public void Contains_the_major_ports(string code, string name)
    {
        Assert.True(Catalog.TryGetPort(code, out var port));
        Assert.Equal(name, port.Name);
    }

    [Fact]
    public void Every_port_belongs_to_an_existing_region_at_least_three_levels_deep()
    {
        foreach (var port in Catalog.Ports)
        {
            Assert.True(Catalog.TryGetRegion(port.ParentSlug, out _), $"{port.Code}: region {port.ParentSlug} missing");
            Assert.True(Catalog.AncestorsOf(port.ParentSlug).Count >= 3, $"{port.Code} is in a region less than three levels deep");
        }
    }

    [Fact]
    public void Region_hierarchy_has_no_cycles_and_unknown_parents()
    {
        var bySlug = Catalog.Regions.ToDictionary(r => r.Slug);
        Assert.Equal(Catalog.Regions.Count, bySlug.Count);
        var maxDepth = 0;
        foreach (var region in Catalog.Regions)
        {
            // Walk up independently of the catalog's own code; a cycle would exceed the region count.
            var depth = 1;
            for (var parent = region.ParentSlug; parent is not null; parent = bySlug[parent].ParentSlug)
            {
                Assert.True(bySlug.ContainsKey(parent), $"{region.Slug}: parent {parent} missing");
                depth++;
                Assert.True(depth <= Catalog.Regions.Count, $"cycle through {region.Slug}");
            }

            maxDepth = Math.Max(maxDepth, depth);
        }

        Assert.True(maxDepth >= 3);
        Assert.Contains(Catalog.Regions, r => r.ParentSlug is null);
    }

    [Fact]
    public void Regions_are_listed_parents_first()
    {
        var seen = new HashSet<string>();
        foreach (var region in Catalog.Regions)
        {
            Assert.True(region.ParentSlug is null || seen.Contains(region.ParentSlug), $"{region.Slug} comes before its parent {region.ParentSlug}");
            seen.Add(region.Slug);
        }
    }

    [Fact]
    public void Region_slugs_are_snake_case_and_names_title_case()
    {
        Assert.All(Catalog.Regions, r =>
        {
            Assert.Matches("^[a-z][a-z0-9]*(_[a-z0-9]+)*$", r.Slug);
            Assert.All(r.Name.Split(' '), word => Assert.True(char.IsUpper(word[0]), $"'{r.Name}' is not Title Case"));
        });
    }

    [Fact]
    public void Ports_hang_off_leaf_regions_only()
    {
        var parents = Catalog.Regions.Where(r => r.ParentSlug is not null).Select(r => r.ParentSlug).ToHashSet();
        Assert.All(Catalog.Ports, p => Assert.DoesNotContain(p.ParentSlug, parents));
        Assert.All(Catalog.Regions.Where(r => !parents.Contains(r.Slug)),
            leaf => Assert.Contains(Catalog.Ports, p => p.ParentSlug == leaf.Slug));
    }

    [Fact]
    public void Ports_are_ordered_by_code()
    {
        var codes = Catalog.Ports.Select(p => p.Code).ToList();
        Assert.Equal(codes.Order(StringComparer.Ordinal), codes);
    }
}
