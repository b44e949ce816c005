using System.Globalization;

namespace Rates.Synthetic;

/// <summary>Body format of a synthetic batch, as accepted by <c>PUT /batches/{id}</c>.</summary>
public enum BatchFormat
{
    /// <summary><c>{"prices":[{"orig_code":..,"dest_code":..,"day":..,"price":..},...]}</c></summary>
    Json,

    /// <summary>Header <c>orig_code,dest_code,day,price</c>, one item per line.</summary>
    Csv,
}

/// <summary>
/// Parameters of a synthetic batch (<c>./build.sh GenerateBatch</c>). With the default <see cref="Seed"/>
/// (the seed data's seed) and at most 500 lanes, the batch prices lanes that exist in the seed, on the days
/// right after the seed's last day.
/// </summary>
public sealed record BatchSpec
{
    public const int DefaultItems = 50_000;

    /// <summary>Number of items, valid and invalid together; greater than 0.</summary>
    public int Items { get; init; } = DefaultItems;

    /// <summary>Number of consecutive days from <see cref="StartDay"/> the items are spread over; at least 1.</summary>
    public int Days { get; init; } = 30;

    /// <summary>Number of distinct lanes the items are spread over; between 1 and the number of port pairs.</summary>
    public int Lanes { get; init; } = SeedSpec.MinLanes;

    public BatchFormat Format { get; init; } = BatchFormat.Json;

    /// <summary>Compress the body with gzip (send with <c>Content-Encoding: gzip</c>).</summary>
    public bool Gzip { get; init; }

    /// <summary>Same seed (and other fields), same bytes.</summary>
    public int Seed { get; init; } = SeedSpec.Default.Seed;

    /// <summary>Share of items that are invalid in exactly one way, in [0, 1]; the count is rounded half away from zero.</summary>
    public double InvalidRatio { get; init; }

    public DateOnly StartDay { get; init; } = SeedSpec.Default.EndDay.AddDays(1);

    /// <summary>The exact number of invalid items this spec produces.</summary>
    public int InvalidItems => (int)Math.Round((decimal)Items * (decimal)InvalidRatio, MidpointRounding.AwayFromZero);

    /// <summary>Media type for the request body.</summary>
    public string ContentType => Format == BatchFormat.Json ? "application/json" : "text/csv";

    /// <summary><c>gzip</c> or null.</summary>
    public string? ContentEncoding => Gzip ? "gzip" : null;

    /// <summary>A file name that tells the batches apart, e.g. <c>prices-n50000-d30-l500-s20240101.json.gz</c>.</summary>
    public string DefaultFileName
    {
        get
        {
            var invalid = InvalidRatio > 0 ? "-i" + InvalidRatio.ToString("0.######", CultureInfo.InvariantCulture) : string.Empty;
            var extension = (Format == BatchFormat.Json ? ".json" : ".csv") + (Gzip ? ".gz" : string.Empty);
            return string.Create(CultureInfo.InvariantCulture, $"prices-n{Items}-d{Days}-l{Lanes}-s{Seed}{invalid}{extension}");
        }
    }

    /// <summary>Parses <c>json</c> or <c>csv</c> (any case), for command-line parameters.</summary>
    public static BatchFormat ParseFormat(string? value) =>
        value?.Trim().ToLowerInvariant() switch
        {
            "json" => BatchFormat.Json,
            "csv" => BatchFormat.Csv,
            _ => throw new ArgumentException($"Format must be 'json' or 'csv'; got '{value}'.", nameof(value)),
        };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field and its accepted range.</summary>
    public void Validate(PortCatalog? catalog = null)
    {
        catalog ??= PortCatalog.Default;
        if (Items < 1)
            throw new ArgumentException($"BatchSpec.Items must be greater than 0; got {Items}.", nameof(Items));
        if (Days < 1)
            throw new ArgumentException($"BatchSpec.Days must be at least 1; got {Days}.", nameof(Days));
        if (StartDay.DayNumber > DateOnly.MaxValue.DayNumber - (Days - 1))
            throw new ArgumentException($"BatchSpec.StartDay + Days must not pass {DateOnly.MaxValue:yyyy-MM-dd}; got StartDay {StartDay:yyyy-MM-dd} and Days {Days}.", nameof(StartDay));
        var maxLanes = LaneGenerator.MaxLanes(catalog);
        if (Lanes < 1 || Lanes > maxLanes)
            throw new ArgumentException($"BatchSpec.Lanes must be between 1 and {maxLanes} (distinct port pairs); got {Lanes}.", nameof(Lanes));
        if (!Enum.IsDefined(Format))
            throw new ArgumentException($"BatchSpec.Format must be Json or Csv; got {(int)Format}.", nameof(Format));
        if (!(InvalidRatio >= 0 && InvalidRatio <= 1))
            throw new ArgumentException($"BatchSpec.InvalidRatio must be between 0 and 1; got {InvalidRatio.ToString(CultureInfo.InvariantCulture)}.", nameof(InvalidRatio));
    }
}
