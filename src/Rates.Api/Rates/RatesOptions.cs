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
}
