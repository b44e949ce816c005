using System.Globalization;

namespace Rates.Api.Calendar;

/// <summary>
/// The days the service accepts, in <c>GET /rates</c> and in batches alike: calendar dates from 1900-01-01 to
/// 2999-12-31. PostgreSQL turns some dates at the edges of its range into <c>-infinity</c>/<c>infinity</c>
/// (and date arithmetic on them fails), so no date outside this range ever reaches it.
/// </summary>
internal static class CalendarDays
{
    public const int FirstYear = 1900;
    public const int LastYear = 2999;

    public static readonly DateOnly First = new(FirstYear, 1, 1);
    public static readonly DateOnly Last = new(LastYear, 12, 31);

    /// <summary>"from 1900-01-01 to 2999-12-31", for messages.</summary>
    public static readonly string Range = string.Create(CultureInfo.InvariantCulture, $"from {First:yyyy-MM-dd} to {Last:yyyy-MM-dd}");

    /// <summary>A real calendar date (month 1-12, day within the month) in the accepted range.</summary>
    public static bool TryCreate(int year, int month, int day, out DateOnly date)
    {
        date = default;
        if (year is < FirstYear or > LastYear || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        date = new DateOnly(year, month, day);
        return true;
    }
}
