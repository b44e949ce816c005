using System.ComponentModel.DataAnnotations;

namespace Rates.Api.Rates;

/// <summary>Configuration section <c>Rates</c>.</summary>
public sealed class RatesOptions
{
    public const string SectionName = "Rates";

    /// <summary>
    /// The longest date range one request may ask for, in days (both ends included). The answer has one
    /// element per day, so this bounds the size of every answer. Default 3,660: ten years.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "Rates:MaxRangeDays must be between 1 and 1000000.")]
    public int MaxRangeDays { get; set; } = 3660;

    /// <summary>
    /// Keep /rates answers in memory until the database announces a change of their lane (a trigger NOTIFYs every
    /// committed write to prices or ports, whoever makes it). Off (the default): every request queries the database.
    /// </summary>
    public bool CacheEnabled { get; set; }

    /// <summary>The most answers the cache holds (lane and date range each); beyond it, answers are not kept.</summary>
    [Range(1, 10_000_000, ErrorMessage = "Rates:CacheMaxEntries must be between 1 and 10000000.")]
    public int CacheMaxEntries { get; set; } = 100_000;
}
