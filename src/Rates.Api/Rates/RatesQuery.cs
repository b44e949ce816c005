using System.Globalization;
using System.Text.RegularExpressions;
using Rates.Api.Calendar;

namespace Rates.Api.Rates;

/// <summary>A valid <c>GET /rates</c> request.</summary>
internal sealed record RatesQuery(DateOnly DateFrom, DateOnly DateTo, string OrigCode, string DestCode);

/// <summary>Why a <c>GET /rates</c> request was refused: the detail and the offending parameters.</summary>
internal sealed record RatesQueryError(string Detail, IReadOnlyList<string> Parameters, int? MaxRangeDays = null);

/// <summary>
/// Reads <c>GET /rates</c> parameters from the raw query string, with the original service's rules and
/// messages. Binding by hand means a missing, repeated or odd parameter can only ever produce these answers,
/// never a framework error.
/// </summary>
internal static partial class RatesQueryParser
{
    public const string DateFrom = "date_from";
    public const string DateTo = "date_to";
    public const string OrigCode = "orig_code";
    public const string DestCode = "dest_code";

    public const string InvalidDates = "Invalid date arguments";
    public const string InvalidLocations = "Invalid location arguments";

    public static (RatesQuery? Query, RatesQueryError? Error) Parse(IQueryCollection query, int maxRangeDays)
    {
        var dateFromText = First(query, DateFrom);
        var dateToText = First(query, DateTo);
        var origCode = First(query, OrigCode);
        var destCode = First(query, DestCode);

        // Dates first, then locations, as in the original.
        var dateFrom = ParseDate(dateFromText);
        var dateTo = ParseDate(dateToText);
        var badDates = new List<string>(2);
        if (dateFrom is null)
        {
            badDates.Add(DateFrom);
        }

        if (dateTo is null)
        {
            badDates.Add(DateTo);
        }

        if (badDates.Count > 0)
        {
            return (null, new RatesQueryError(InvalidDates, badDates));
        }

        var days = dateTo!.Value.DayNumber - dateFrom!.Value.DayNumber + 1;
        if (days > maxRangeDays)
        {
            return (null, new RatesQueryError(
                string.Create(CultureInfo.InvariantCulture, $"Date range too long: {days} days requested, at most {maxRangeDays} days are allowed."),
                [DateFrom, DateTo],
                maxRangeDays));
        }

        var badLocations = new List<string>(2);
        if (!IsLocation(origCode))
        {
            badLocations.Add(OrigCode);
        }

        if (!IsLocation(destCode))
        {
            badLocations.Add(DestCode);
        }

        if (badLocations.Count > 0)
        {
            return (null, new RatesQueryError(InvalidLocations, badLocations));
        }

        return (new RatesQuery(dateFrom.Value, dateTo.Value, origCode!, destCode!), null);
    }

    /// <summary>
    /// A four-digit year, a one- or two-digit month and day (the original accepted 2021-1-5), forming a real
    /// calendar date in the range of <see cref="CalendarDays"/>. ASCII digits only; nothing before or after,
    /// not even a line break.
    /// </summary>
    internal static DateOnly? ParseDate(string? text)
    {
        if (text is null || !DatePattern().IsMatch(text))
        {
            return null;
        }

        var parts = text.Split('-');
        var year = int.Parse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture);
        var month = int.Parse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture);
        var day = int.Parse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture);
        return CalendarDays.TryCreate(year, month, day, out var date) ? date : null;
    }

    /// <summary>
    /// Any non-empty code is looked up (an unknown one simply has no prices), except one holding a NUL
    /// character: PostgreSQL text cannot contain NUL, so the query would fail instead of matching nothing.
    /// </summary>
    private static bool IsLocation(string? code) => !string.IsNullOrEmpty(code) && !code.Contains('\0', StringComparison.Ordinal);

    /// <summary>The first value of a repeated parameter, as the original's request.args.get did.</summary>
    private static string? First(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    [GeneratedRegex(@"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();
}
