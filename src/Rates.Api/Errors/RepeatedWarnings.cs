using System.Collections.Concurrent;

namespace Rates.Api.Errors;

/// <summary>
/// Rate-limits identical warnings: the first of a kind is logged, the same kind again within
/// <see cref="Interval"/> is only counted, and the next one logged after the interval says how many were left
/// out. A 10 s database outage under load is then a handful of lines, not thousands.
/// </summary>
internal sealed class RepeatedWarnings(TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>Kinds remembered at most; beyond, the memory is reset (kinds come from exception messages).</summary>
    private const int MaxKinds = 256;

    private readonly ConcurrentDictionary<string, Kind> _kinds = new(StringComparer.Ordinal);

    /// <summary>
    /// True when a warning of <paramref name="kind"/> is to be logged now; <paramref name="omitted"/> is then the
    /// number of the same kind left out since the last one logged.
    /// </summary>
    public bool ShouldLog(string kind, out long omitted)
    {
        if (_kinds.Count > MaxKinds)
        {
            _kinds.Clear();
        }

        var now = time.GetTimestamp();
        var entry = _kinds.GetOrAdd(kind, _ => new Kind());
        lock (entry)
        {
            if (entry.LastLogged is { } last && time.GetElapsedTime(last, now) < Interval)
            {
                entry.Omitted++;
                omitted = 0;
                return false;
            }

            omitted = entry.Omitted;
            entry.Omitted = 0;
            entry.LastLogged = now;
            return true;
        }
    }

    private sealed class Kind
    {
        public long? LastLogged { get; set; }

        public long Omitted { get; set; }
    }
}
