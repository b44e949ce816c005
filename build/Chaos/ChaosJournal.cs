using System.Collections.Concurrent;
using System.Diagnostics;

namespace Rates.Build.Chaos;

/// <summary>How one request ended: an HTTP status, or a failure without one (timeout, refused or broken connection).</summary>
internal readonly record struct Outcome(int Status, string? Failure)
{
    public static Outcome Of(int status) => new(status, null);

    public static Outcome Failed(string failure) => new(0, failure);

    public bool Succeeded => Status is >= 200 and < 300;

    /// <summary>"200", "503", "timeout", "connection"...</summary>
    public string Label => Failure ?? Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A batch a sender acknowledged as stored (201 or 200), with its item count.</summary>
internal sealed record AcknowledgedBatch(string Id, int Items, int Attempts, TimeSpan At);

/// <summary>Everything the load generators saw during a fault run, with times relative to its start. Thread-safe.</summary>
internal sealed class ChaosJournal
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<(TimeSpan At, Outcome Outcome)> _reads = new();
    private readonly ConcurrentQueue<(TimeSpan At, Outcome Outcome)> _writes = new();
    private readonly ConcurrentQueue<(TimeSpan At, string Id, Outcome Outcome)> _batchAttempts = new();
    private readonly ConcurrentDictionary<string, AcknowledgedBatch> _acknowledged = new();
    private readonly ConcurrentDictionary<string, int> _sent = new();
    private readonly ConcurrentQueue<string> _gaveUp = new();
    private readonly ConcurrentQueue<double> _machineLoad = new();

    public TimeSpan Now => _clock.Elapsed;

    public void Read(TimeSpan started, Outcome outcome) => _reads.Enqueue((started, outcome));

    /// <summary>A small write probe (a one-item batch), timed from when it was sent.</summary>
    public void Write(TimeSpan started, Outcome outcome) => _writes.Enqueue((started, outcome));

    public void Sending(string id, int items) => _sent[id] = items;

    public void BatchAttempt(string id, Outcome outcome) => _batchAttempts.Enqueue((Now, id, outcome));

    public void Acknowledged(string id, int items, int attempts) => _acknowledged[id] = new AcknowledgedBatch(id, items, attempts, Now);

    public void GaveUp(string id) => _gaveUp.Enqueue(id);

    /// <summary>The machine's 1-minute load average, sampled during the run (the machine may be shared with other work).</summary>
    public void MachineLoad(double loadAverage) => _machineLoad.Enqueue(loadAverage);

    public IReadOnlyList<double> MachineLoadSamples => _machineLoad.ToArray();

    public IReadOnlyList<(TimeSpan At, Outcome Outcome)> Reads => _reads.ToArray();

    public IReadOnlyList<(TimeSpan At, Outcome Outcome)> Writes => _writes.ToArray();

    public IReadOnlyList<(TimeSpan At, string Id, Outcome Outcome)> BatchAttempts => _batchAttempts.ToArray();

    public IReadOnlyDictionary<string, AcknowledgedBatch> AcknowledgedBatches => _acknowledged;

    /// <summary>Every batch id a sender started, with its item count.</summary>
    public IReadOnlyDictionary<string, int> SentBatches => _sent;

    public IReadOnlyList<string> GivenUp => _gaveUp.ToArray();
}
