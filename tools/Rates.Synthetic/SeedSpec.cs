namespace Rates.Synthetic;

/// <summary>
/// Parameters of the seed dataset. <see cref="Default"/> is what <c>db/seed/seed.sql</c> is generated from;
/// change it only together with a regenerated seed file (a test compares them byte for byte).
/// </summary>
public sealed record SeedSpec
{
    public const int MinDays = 60;
    public const int MinLanes = 500;
    public const int MaxPricesPerDayLimit = 100;

    /// <summary>The spec behind the committed <c>db/seed/seed.sql</c>: 500 lanes × 60 days from 2024-01-01 (through the leap day).</summary>
    public static SeedSpec Default { get; } = new();

    public int Seed { get; init; } = 20240101;

    public DateOnly StartDay { get; init; } = new(2024, 1, 1);

    /// <summary>Number of consecutive days, at least <see cref="MinDays"/>.</summary>
    public int Days { get; init; } = MinDays;

    /// <summary>Number of distinct lanes, at least <see cref="MinLanes"/>.</summary>
    public int Lanes { get; init; } = MinLanes;

    /// <summary>Fewest prices on a lane-day that has prices (at least 1).</summary>
    public int MinPricesPerDay { get; init; } = 1;

    /// <summary>Most prices on a lane-day (at most <see cref="MaxPricesPerDayLimit"/>).</summary>
    public int MaxPricesPerDay { get; init; } = 10;

    /// <summary>Probability that a lane has no price at all on a day, in [0, 1).</summary>
    public double EmptyDayProbability { get; init; } = 0.1;

    /// <summary>The last day with (possibly) prices.</summary>
    public DateOnly EndDay => StartDay.AddDays(Days - 1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field and its accepted range.</summary>
    public void Validate(PortCatalog? catalog = null)
    {
        catalog ??= PortCatalog.Default;
        if (Days < MinDays)
            throw new ArgumentException($"SeedSpec.Days must be at least {MinDays}; got {Days}.", nameof(Days));
        if (StartDay.DayNumber > DateOnly.MaxValue.DayNumber - (Days - 1))
            throw new ArgumentException($"SeedSpec.StartDay + Days must not pass {DateOnly.MaxValue:yyyy-MM-dd}; got StartDay {StartDay:yyyy-MM-dd} and Days {Days}.", nameof(StartDay));
        var maxLanes = LaneGenerator.MaxLanes(catalog);
        if (Lanes < MinLanes || Lanes > maxLanes)
            throw new ArgumentException($"SeedSpec.Lanes must be between {MinLanes} and {maxLanes} (distinct port pairs); got {Lanes}.", nameof(Lanes));
        if (MinPricesPerDay < 1 || MinPricesPerDay > MaxPricesPerDayLimit)
            throw new ArgumentException($"SeedSpec.MinPricesPerDay must be between 1 and {MaxPricesPerDayLimit}; got {MinPricesPerDay}.", nameof(MinPricesPerDay));
        if (MaxPricesPerDay < MinPricesPerDay || MaxPricesPerDay > MaxPricesPerDayLimit)
            throw new ArgumentException($"SeedSpec.MaxPricesPerDay must be between MinPricesPerDay ({MinPricesPerDay}) and {MaxPricesPerDayLimit}; got {MaxPricesPerDay}.", nameof(MaxPricesPerDay));
        if (!(EmptyDayProbability >= 0 && EmptyDayProbability < 1))
            throw new ArgumentException($"SeedSpec.EmptyDayProbability must be in [0, 1); got {EmptyDayProbability.ToString(System.Globalization.CultureInfo.InvariantCulture)}.", nameof(EmptyDayProbability));
    }
}
