using System.Collections.Concurrent;
using Prometheus;

namespace Rates.Api.Rates;

/// <summary>
/// The /rates answers of this instance, per lane and date range, kept until the database announces a change of
/// that lane (<see cref="RatesChangeListener"/>). Serves nothing while the listener is not connected: a change
/// announced meanwhile would be missed, so everything is forgotten when the connection is lost and the cache is
/// used again only once listening anew.
/// </summary>
/// <remarks>
/// A reader takes a <see cref="Ticket"/> before it queries and may store its answer only if no change of its lane
/// (and no clearing) was applied since: an answer read from a snapshot older than a change is never stored after
/// that change was announced.
/// </remarks>
internal sealed class RatesCache(int maxEntries)
{
    private static readonly Counter Lookups = Prometheus.Metrics.CreateCounter(
        "rates_cache_lookups_total",
        "GET /rates answers looked up in the cache: hit, miss, or not_listening (the change listener is not connected).",
        "result");

    private readonly ConcurrentDictionary<(string Orig, string Dest), Lane> _lanes = new();
    private long _generation;
    private int _entries;
    private volatile bool _listening;

    /// <summary>Taken before querying: the state the answer will be stored against.</summary>
    internal readonly record struct Ticket(long Generation, long LaneVersion, bool Usable);

    public bool IsListening => _listening;

    public bool TryGet(RatesQuery query, out DailyPrices[] days)
    {
        if (_listening && _lanes.TryGetValue((query.OrigCode, query.DestCode), out var lane)
            && lane.Answers.TryGetValue((query.DateFrom, query.DateTo), out days!))
        {
            Lookups.WithLabels("hit").Inc();
            return true;
        }

        Lookups.WithLabels(_listening ? "miss" : "not_listening").Inc();
        days = [];
        return false;
    }

    public Ticket Take(RatesQuery query)
    {
        var generation = Volatile.Read(ref _generation);
        var lane = _lanes.GetOrAdd((query.OrigCode, query.DestCode), _ => new Lane());
        return new Ticket(generation, Volatile.Read(ref lane.Version), _listening);
    }

    public void Store(RatesQuery query, Ticket ticket, DailyPrices[] days)
    {
        if (!ticket.Usable || !_lanes.TryGetValue((query.OrigCode, query.DestCode), out var lane))
        {
            return;
        }

        lock (lane)
        {
            // Checked under the lane's lock, which Forget also takes: no change can slip in between.
            if (!_listening || Volatile.Read(ref _generation) != ticket.Generation || lane.Version != ticket.LaneVersion)
            {
                return;
            }

            if (Interlocked.Increment(ref _entries) > maxEntries)
            {
                Interlocked.Decrement(ref _entries);
                return;
            }

            if (!lane.Answers.TryAdd((query.DateFrom, query.DateTo), days))
            {
                Interlocked.Decrement(ref _entries);
            }
        }
    }

    /// <summary>Forgets the answers of a lane whose range overlaps the changed days, and fails tickets taken before.</summary>
    public void Forget(string orig, string dest, DateOnly firstDay, DateOnly lastDay)
    {
        if (!_lanes.TryGetValue((orig, dest), out var lane))
        {
            return;
        }

        lock (lane)
        {
            lane.Version++;
            foreach (var range in lane.Answers.Keys)
            {
                if (range.From <= lastDay && range.To >= firstDay && lane.Answers.TryRemove(range, out _))
                {
                    Interlocked.Decrement(ref _entries);
                }
            }
        }
    }

    /// <summary>Forgets everything and fails every ticket taken before.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        foreach (var lane in _lanes.Values)
        {
            lock (lane)
            {
                lane.Version++;
                lane.Answers.Clear();
            }
        }

        _lanes.Clear();
        Volatile.Write(ref _entries, 0);
    }

    /// <summary>Listening (true) or not (false: everything is forgotten and nothing is served or stored).</summary>
    public void SetListening(bool listening)
    {
        _listening = listening;
        Clear();
    }

    private sealed class Lane
    {
        public long Version;
        public readonly ConcurrentDictionary<(DateOnly From, DateOnly To), DailyPrices[]> Answers = new();
    }
}
