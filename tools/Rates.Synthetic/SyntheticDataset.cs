namespace Rates.Synthetic;

/// <summary>A complete, deterministic dataset for <c>regions</c>, <c>ports</c> and <c>prices</c>.</summary>
public sealed class SyntheticDataset
{
    private SyntheticDataset(SeedSpec spec, IReadOnlyList<Region> regions, IReadOnlyList<Port> ports, IReadOnlyList<Lane> lanes, IReadOnlyList<PriceRow> prices)
    {
        Spec = spec;
        Regions = regions;
        Ports = ports;
        Lanes = lanes;
        Prices = prices;
    }

    public SeedSpec Spec { get; }

    /// <summary>Parents before children.</summary>
    public IReadOnlyList<Region> Regions { get; }

    /// <summary>Ordered by code.</summary>
    public IReadOnlyList<Port> Ports { get; }

    /// <summary>Ordered by origin code, then destination code.</summary>
    public IReadOnlyList<Lane> Lanes { get; }

    /// <summary>Ordered by origin code, destination code, day; within a day in generation order.</summary>
    public IReadOnlyList<PriceRow> Prices { get; }

    /// <summary>
    /// Generates the dataset for <paramref name="spec"/> from <see cref="PortCatalog.Default"/>.
    /// Same spec, same dataset, on every machine: all randomness comes from seeded Bogus randomizers and
    /// the price model uses integer arithmetic only.
    /// </summary>
    public static SyntheticDataset Generate(SeedSpec spec) => Generate(spec, PortCatalog.Default);

    public static SyntheticDataset Generate(SeedSpec spec, PortCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(catalog);
        spec.Validate(catalog);

        var lanes = LaneGenerator.Generate(catalog, spec.Seed, spec.Lanes)
            .OrderBy(l => l.OrigCode, StringComparer.Ordinal)
            .ThenBy(l => l.DestCode, StringComparer.Ordinal)
            .ToList();

        var random = RandomStreams.For(spec.Seed, "seed/prices");
        var prices = new List<PriceRow>(spec.Lanes * spec.Days * (spec.MinPricesPerDay + spec.MaxPricesPerDay) / 2);
        foreach (var lane in lanes)
        {
            // A daily random walk of the lane's price level, in per-mille steps, with a floor so it stays positive.
            var level = lane.BasePrice;
            for (var d = 0; d < spec.Days; d++)
            {
                if (d > 0)
                    level = Math.Max(50, level + level * random.Number(-40, 40) / 1000);

                if (random.Double() < spec.EmptyDayProbability)
                    continue;

                var day = spec.StartDay.AddDays(d);
                var count = random.Number(spec.MinPricesPerDay, spec.MaxPricesPerDay);
                for (var i = 0; i < count; i++)
                {
                    // Individual quotes scatter ±8 % around the day's level.
                    var price = Math.Max(1, level + level * random.Number(-80, 80) / 1000);
                    prices.Add(new PriceRow(lane.OrigCode, lane.DestCode, day, price));
                }
            }
        }

        return new SyntheticDataset(spec, catalog.Regions, catalog.Ports, lanes, prices);
    }
}
