using Npgsql;

namespace Rates.Build.Chaos;

/// <summary>What the database holds of the batches a fault run sent, against what the senders were told.</summary>
/// <param name="Lost">Acknowledged, but no batches row.</param>
/// <param name="Partial">Acknowledged, but fewer rows than items (or a batches row with another item count).</param>
/// <param name="Duplicated">Acknowledged, but more rows than items.</param>
/// <param name="Orphaned">Never acknowledged, yet rows in prices without a whole committed batch.</param>
/// <param name="StoredUnacknowledged">Never acknowledged (the sender gave up), but committed whole: the sender's retry would have answered 200.</param>
internal sealed record ChaosVerdict(
    int Acknowledged, long AcknowledgedRows, IReadOnlyList<string> Lost, IReadOnlyList<string> Partial, IReadOnlyList<string> Duplicated,
    IReadOnlyList<string> Orphaned, IReadOnlyList<string> StoredUnacknowledged)
{
    public bool Holds => Lost.Count == 0 && Partial.Count == 0 && Duplicated.Count == 0 && Orphaned.Count == 0;
}

/// <summary>Counts each batch's rows by lineage (prices.batch_id) and compares them with the acknowledgements.</summary>
internal static class ChaosVerifier
{
    public static async Task<ChaosVerdict> VerifyAsync(string connectionString, string runId, ChaosJournal journal, CancellationToken cancellationToken)
    {
        var prefix = runId + "-%";
        var committed = new Dictionary<string, int>();
        var rows = new Dictionary<string, long>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var batches = new NpgsqlCommand("SELECT id, item_count FROM public.batches WHERE id LIKE @prefix", connection))
        {
            batches.Parameters.AddWithValue("prefix", prefix);
            await using var reader = await batches.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                committed[reader.GetString(0)] = reader.GetInt32(1);
        }

        // One scan of prices for every batch of the run (lineage has no index: it is read by audits like this one).
        await using (var prices = new NpgsqlCommand("SELECT batch_id, count(*) FROM public.prices WHERE batch_id LIKE @prefix GROUP BY batch_id", connection) { CommandTimeout = 600 })
        {
            prices.Parameters.AddWithValue("prefix", prefix);
            await using var reader = await prices.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                rows[reader.GetString(0)] = reader.GetInt64(1);
        }

        return Compare(journal.AcknowledgedBatches, journal.SentBatches, committed, rows);
    }

    /// <summary>The comparison itself, apart from the database (unit tested).</summary>
    internal static ChaosVerdict Compare(
        IReadOnlyDictionary<string, AcknowledgedBatch> acknowledged,
        IReadOnlyDictionary<string, int> sent,
        IReadOnlyDictionary<string, int> committed,
        IReadOnlyDictionary<string, long> rows)
    {
        List<string> lost = [], partial = [], duplicated = [], orphaned = [], unacknowledged = [];
        long acknowledgedRows = 0;
        foreach (var (id, batch) in acknowledged)
        {
            var stored = rows.GetValueOrDefault(id);
            acknowledgedRows += stored;
            if (!committed.TryGetValue(id, out var items))
                lost.Add(id);
            else if (stored > batch.Items)
                duplicated.Add(id);
            else if (stored < batch.Items || items != batch.Items)
                partial.Add(id);
        }

        foreach (var id in sent.Keys.Concat(rows.Keys).Concat(committed.Keys).Distinct().Where(id => !acknowledged.ContainsKey(id)))
        {
            var stored = rows.GetValueOrDefault(id);
            if (committed.TryGetValue(id, out var items) && stored == items && sent.GetValueOrDefault(id, items) == items)
                unacknowledged.Add(id);
            else if (stored > 0 || committed.ContainsKey(id))
                orphaned.Add(id);
        }

        return new ChaosVerdict(acknowledged.Count, acknowledgedRows, lost, partial, duplicated, orphaned, unacknowledged);
    }
}
