namespace Rates.Synthetic.Tests;

public class SyntheticDatasetTests
{
    internal static readonly Lazy<SyntheticDataset> DefaultDataset = new(() => SyntheticDataset.Generate(SeedSpec.Default));

    private static SyntheticDataset Dataset => DefaultDataset.Value;

    [Fact]
    public void Default_spec_covers_at_least_60_days_and_500_lanes()
    {
        Assert.True(Dataset.Spec.Days >= 60);
        var days = Dataset.Prices.Select(p => p.Day).Distinct().ToList();
        Assert.True(days.Count >= 60, $"prices on only {days.Count} days");
        Assert.Equal(Dataset.Spec.StartDay, days.Min());
        Assert.Equal(Dataset.Spec.EndDay, days.Max());

        var lanes = Dataset.Prices.Select(p => (p.OrigCode, p.DestCode)).Distinct().ToList();
        Assert.True(lanes.Count >= 500, $"prices on only {lanes.Count} lanes");
        Assert.Equal(Dataset.Spec.Lanes, Dataset.Lanes.Count);
        Assert.Equal(Dataset.Lanes.Count, Dataset.Lanes.Select(l => (l.OrigCode, l.DestCode)).Distinct().Count());
        Assert.All(Dataset.Lanes, l => Assert.NotEqual(l.OrigCode, l.DestCode));
    }

    [Fact]
    public void Default_dataset_stays_modest()
    {
        Assert.InRange(Dataset.Prices.Count, 100_000, 200_000);
    }

    [Fact]
    public void Every_price_references_catalog_ports_and_is_positive()
    {
        var codes = Dataset.Ports.Select(p => p.Code).ToHashSet();
        Assert.All(Dataset.Prices, p =>
        {
            Assert.Contains(p.OrigCode, codes);
            Assert.Contains(p.DestCode, codes);
            Assert.True(p.Price > 0, $"{p} is not positive");
            Assert.InRange(p.Day, Dataset.Spec.StartDay, Dataset.Spec.EndDay);
        });
    }

    [Fact]
    public void Lane_days_have_1_to_10_prices_with_counts_below_3_and_empty_days_occurring()
    {
        var counts = Dataset.Prices.GroupBy(p => (p.OrigCode, p.DestCode, p.Day)).Select(g => g.Count()).ToList();
        Assert.All(counts, c => Assert.InRange(c, 1, 10));
        Assert.Contains(1, counts);
        Assert.Contains(2, counts);
        Assert.Contains(10, counts);
        Assert.True(counts.Count(c => c >= 3) > counts.Count(c => c < 3), "most lane-days should have an average price");

        var laneDays = Dataset.Lanes.Count * Dataset.Spec.Days;
        var empty = laneDays - counts.Count;
        Assert.True(empty > 0, "no empty lane-days");
        Assert.True(empty < laneDays / 4, $"too many empty lane-days: {empty} of {laneDays}");
    }

    [Fact]
    public void Headline_lane_shows_every_case_of_the_rates_answer()
    {
        // The README example uses CNSGH -> NLRTM: it must show averaged days, null-price days and empty days.
        var byDay = Dataset.Prices.Where(p => p is { OrigCode: "CNSGH", DestCode: "NLRTM" }).GroupBy(p => p.Day).ToDictionary(g => g.Key, g => g.Count());
        Assert.Contains(byDay.Values, c => c >= 3);
        Assert.Contains(byDay.Values, c => c < 3);
        Assert.True(byDay.Count < Dataset.Spec.Days, "no empty day on CNSGH -> NLRTM");
    }

    [Fact]
    public void Prices_are_ordered_by_lane_then_day()
    {
        var comparer = Comparer<PriceRow>.Create((a, b) =>
        {
            var c = string.CompareOrdinal(a.OrigCode, b.OrigCode);
            if (c == 0) c = string.CompareOrdinal(a.DestCode, b.DestCode);
            return c != 0 ? c : a.Day.CompareTo(b.Day);
        });
        for (var i = 1; i < Dataset.Prices.Count; i++)
            Assert.True(comparer.Compare(Dataset.Prices[i - 1], Dataset.Prices[i]) <= 0, $"row {i} out of order");
    }

    [Fact]
    public void Same_seed_gives_the_same_dataset_and_another_seed_a_different_one()
    {
        var again = SyntheticDataset.Generate(SeedSpec.Default);
        Assert.Equal(Dataset.Prices, again.Prices);
        Assert.Equal(Dataset.Lanes, again.Lanes);

        var other = SyntheticDataset.Generate(SeedSpec.Default with { Seed = SeedSpec.Default.Seed + 1 });
        Assert.NotEqual(Dataset.Prices, other.Prices);
    }

    [Fact]
    public void Without_empty_day_probability_every_lane_day_has_prices()
    {
        var full = SyntheticDataset.Generate(SeedSpec.Default with { EmptyDayProbability = 0, MinPricesPerDay = 3, MaxPricesPerDay = 3 });
        Assert.Equal(full.Lanes.Count * full.Spec.Days * 3, full.Prices.Count);
    }

    [Fact]
    public void Smaller_lane_counts_pick_a_prefix_of_larger_ones()
    {
        var small = LaneGenerator.Generate(PortCatalog.Default, 7, 40);
        var large = LaneGenerator.Generate(PortCatalog.Default, 7, 600);
        Assert.Equal(small, large.Take(40));
        Assert.Equal(LaneGenerator.HeadlineLanes, large.Take(LaneGenerator.HeadlineLanes.Count).Select(l => (l.OrigCode, l.DestCode)));
    }

    public static TheoryData<SeedSpec, string, string> BadSeedSpecs => new()
    {
        { SeedSpec.Default with { Days = 59 }, "Days", "at least 60" },
        { SeedSpec.Default with { Lanes = 499 }, "Lanes", "between 500 and" },
        { SeedSpec.Default with { Lanes = int.MaxValue }, "Lanes", "between 500 and" },
        { SeedSpec.Default with { MinPricesPerDay = 0 }, "MinPricesPerDay", "between 1 and 100" },
        { SeedSpec.Default with { MinPricesPerDay = 5, MaxPricesPerDay = 4 }, "MaxPricesPerDay", "between MinPricesPerDay (5) and 100" },
        { SeedSpec.Default with { MaxPricesPerDay = 101 }, "MaxPricesPerDay", "and 100" },
        { SeedSpec.Default with { EmptyDayProbability = 1 }, "EmptyDayProbability", "[0, 1)" },
        { SeedSpec.Default with { EmptyDayProbability = -0.1 }, "EmptyDayProbability", "[0, 1)" },
        { SeedSpec.Default with { EmptyDayProbability = double.NaN }, "EmptyDayProbability", "[0, 1)" },
        { SeedSpec.Default with { StartDay = DateOnly.MaxValue.AddDays(-10) }, "StartDay", "must not pass 9999-12-31" },
    };

    [Theory]
    [MemberData(nameof(BadSeedSpecs))]
    public void Bad_seed_specs_are_rejected_naming_the_field_and_range(SeedSpec spec, string field, string range)
    {
        var error = Assert.Throws<ArgumentException>(() => SyntheticDataset.Generate(spec));
        Assert.Equal(field, error.ParamName);
        Assert.Contains("SeedSpec." + field, error.Message);
        Assert.Contains(range, error.Message);
    }
}
