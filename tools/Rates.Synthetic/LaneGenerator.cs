namespace Rates.Synthetic;

/// <summary>
/// Picks the lanes (directed port pairs) and their starting price levels. Shared by the seed data and
/// the synthetic batches: the same seed yields the same lanes, and a smaller lane count yields a prefix
/// of a larger one, so a batch made with the seed's seed prices lanes that already exist in the seed.
/// </summary>
public static class LaneGenerator
{
    /// <summary>
    /// Lanes that are always picked first (when the lane count allows), so documentation and examples can
    /// rely on them, e.g. <c>CNSGH → NLRTM</c>. They are ordinary lanes in every other respect.
    /// </summary>
    public static IReadOnlyList<(string OrigCode, string DestCode)> HeadlineLanes { get; } =
    [
        ("CNSGH", "NLRTM"),
        ("CNSGH", "DEHAM"),
        ("SGSIN", "USLAX"),
        ("CNYTN", "USLGB"),
        ("NLRTM", "USNYC"),
    ];

    /// <summary>Number of distinct directed lanes the catalog allows: n·(n−1).</summary>
    public static int MaxLanes(PortCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Ports.Count * (catalog.Ports.Count - 1);
    }

    /// <summary>
    /// Picks <paramref name="count"/> distinct lanes: the headline lanes first, then a seeded shuffle of
    /// all other pairs. Returned in pick order (not sorted).
    /// </summary>
    public static IReadOnlyList<Lane> Generate(PortCatalog catalog, int seed, int count)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var max = MaxLanes(catalog);
        if (count < 1 || count > max)
            throw new ArgumentException($"Lanes must be between 1 and {max} (the number of distinct port pairs in the catalog); got {count}.", nameof(count));

        var headline = HeadlineLanes.Where(l => catalog.ContainsPort(l.OrigCode) && catalog.ContainsPort(l.DestCode)).ToList();
        var headlineSet = headline.ToHashSet();
        var rest = new List<(string, string)>(max);
        foreach (var orig in catalog.Ports)
        {
            foreach (var dest in catalog.Ports)
            {
                if (orig.Code != dest.Code && !headlineSet.Contains((orig.Code, dest.Code)))
                    rest.Add((orig.Code, dest.Code));
            }
        }

        var pickRandom = RandomStreams.For(seed, "lanes/pick");
        var priceRandom = RandomStreams.For(seed, "lanes/base-price");
        var lanes = new List<Lane>(count);
        foreach (var (orig, dest) in headline.Take(count))
            lanes.Add(new Lane(orig, dest, BasePrice(catalog, priceRandom, orig, dest)));

        // Partial Fisher-Yates: only as many draws as lanes needed, which keeps smaller counts a prefix of larger ones.
        for (var i = 0; lanes.Count < count; i++)
        {
            var j = pickRandom.Number(i, rest.Count - 1);
            (rest[i], rest[j]) = (rest[j], rest[i]);
            var (orig, dest) = rest[i];
            lanes.Add(new Lane(orig, dest, BasePrice(catalog, priceRandom, orig, dest)));
        }

        return lanes;
    }

    // Lanes within one world area start cheaper than lanes between areas; integers only, so no
    // floating-point differences between machines.
    private static int BasePrice(PortCatalog catalog, Bogus.Randomizer random, string orig, string dest) =>
        catalog.WorldAreaOf(orig).Slug == catalog.WorldAreaOf(dest).Slug
            ? random.Number(250, 1600)
            : random.Number(900, 4500);
}
