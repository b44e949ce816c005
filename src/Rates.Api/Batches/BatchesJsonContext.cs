using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rates.Api.Batches;

/// <summary>The answer of a committed batch (201, and 200 on a replay): <c>{batchId, items, receivedAt, committedAt}</c>.</summary>
public sealed record BatchReceipt(string BatchId, int Items, DateTime ReceivedAt, DateTime CommittedAt)
{
    internal static BatchReceipt Of(BatchRecord batch) => new(batch.BatchId, batch.Items, batch.ReceivedAt, batch.CommittedAt);
}

/// <summary>The answer of <c>GET /batches/{id}</c>. Only committed batches are recorded, so status is always "committed".</summary>
public sealed record BatchStatus(string BatchId, string Status, int Items, DateTime ReceivedAt, DateTime CommittedAt, string ContentSha256);

/// <summary>Source-generated serialization of the batch answers, including the 422 problem's item list.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BatchReceipt))]
[JsonSerializable(typeof(BatchStatus))]
[JsonSerializable(typeof(InvalidBatchItem[]))]
internal sealed partial class BatchesJsonContext : JsonSerializerContext;
