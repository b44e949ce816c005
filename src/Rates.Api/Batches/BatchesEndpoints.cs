using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using Rates.Api.Auth;
using Rates.Api.Database;
using Rates.Api.Hosting;

namespace Rates.Api.Batches;

public static partial class BatchesEndpoints
{
    /// <summary>Batch ids are chosen by the client; they appear in URLs and logs, so they are kept plain.</summary>
    internal const string IdRule = "A batch id is 1 to 100 characters: letters A-Z and a-z, digits, '.', '_' and '-'.";

    public static IServiceCollection AddBatches(this IServiceCollection services)
    {
        services.AddOptions<BatchesOptions>()
            .BindConfiguration(BatchesOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<BatchIngestor>();
        services.AddSingleton<BatchBulkhead>();
        BatchDataSource.Add(services);
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, BatchesJsonContext.Default));
        return services;
    }

    public static IEndpointRouteBuilder MapBatches(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPut("/batches/{batchId}", PutAsync)
            .WithName("PutBatch")
            .RequireApiKey()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        endpoints.MapGet("/batches/{batchId}", GetAsync)
            .WithName("GetBatch")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    internal static bool IsValidId(string? batchId) => batchId is not null && IdPattern().IsMatch(batchId);

    /// <remarks>
    /// The body is read by the ingestor, not bound by the framework: it streams through the parser into a
    /// spool, then into the database. At most Batches:MaxConcurrent uploads run at once; one more is answered
    /// 503 at once. Every way an upload ends is counted in the batch metrics; a database failure is rethrown so
    /// the service-wide handler answers 503 as for every other endpoint.
    /// </remarks>
    private static async Task<Results<Created<BatchReceipt>, Ok<BatchReceipt>, ProblemHttpResult>> PutAsync(
        string batchId,
        HttpContext context,
        BatchIngestor ingestor,
        BatchBulkhead bulkhead,
        Drain drain,
        IOptions<BatchesOptions> options,
        ILogger<BatchIngestor> logger)
    {
        var request = context.Request;
        var knownFormat = BatchContent.TryGetFormat(request.ContentType, out var format, out var mediaError);
        using var upload = new BatchUpload(batchId, knownFormat ? format : null, logger);

        if (!IsValidId(batchId))
        {
            return upload.Refused(RejectReasons.InvalidId, InvalidId(batchId));
        }

        if (!knownFormat)
        {
            return upload.Refused(RejectReasons.UnsupportedMediaType, Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", mediaError!, batchId));
        }

        if (!BatchContent.TryGetEncoding(request.Headers.ContentEncoding, out var gzip, out var encodingError))
        {
            // RFC 7694: a 415 for a content coding says which codings are accepted.
            context.Response.Headers.AcceptEncoding = "gzip";
            return upload.Refused(RejectReasons.UnsupportedMediaType, Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content encoding", encodingError!, batchId));
        }

        var settings = options.Value;
        using var slot = bulkhead.TryEnter();
        if (slot is null)
        {
            context.Response.Headers.RetryAfter = BatchBulkhead.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return upload.Refused(RejectReasons.Busy, Problem(
                StatusCodes.Status503ServiceUnavailable,
                "Too many uploads",
                string.Create(CultureInfo.InvariantCulture, $"{settings.MaxConcurrent} batch uploads are in progress (Batches:MaxConcurrent). Nothing was written; send the batch again after {BatchBulkhead.RetryAfterSeconds} seconds."),
                batchId));
        }

        // Kestrel's default body limit (30 MB) would cut big batches off; this endpoint has its own.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = settings.MaxBodyBytes;
        }

        // An upload still running when the drain ends is cut off in time to answer it.
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, drain.UploadDeadline);
        var batch = new BatchRequest(batchId, format, gzip, ApiKeys.KeyIdOf(context), () => upload.Elapsed);
        BatchOutcome outcome;
        try
        {
            outcome = await ingestor.IngestAsync(batch, request.Body, cancellation.Token);
        }
        catch (Exception ex) when (drain.UploadDeadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested
                                   && ex is OperationCanceledException or NpgsqlException)
        {
            context.Response.Headers.RetryAfter = Drain.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers.Connection = "close";
            return upload.Refused(RejectReasons.ShuttingDown, Problem(
                StatusCodes.Status503ServiceUnavailable,
                "Service shutting down",
                "The service is shutting down and could not finish this upload in time. Nothing was written; send the batch again.",
                batchId));
        }
        catch (BatchFormatException ex)
        {
            return upload.Refused(RejectReasons.Malformed, Malformed(batchId, ex));
        }
        catch (BatchTooLargeException ex)
        {
            return upload.Refused(RejectReasons.TooLarge, TooLarge($"{ex.Message} Nothing was written.", batchId, settings));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return upload.Refused(RejectReasons.TooLarge, TooLarge(
                string.Create(CultureInfo.InvariantCulture, $"The request body is larger than {settings.MaxBodyBytes} bytes (Batches:MaxBodyBytes). Nothing was written."),
                batchId,
                settings));
        }
        catch (Exception ex) when (IsClientGone(ex, context))
        {
            // The transaction was rolled back; the client, if it is still there, may send the batch again.
            logger.LogInformation("Batch {BatchId} upload ended early, nothing written: {Reason}", batchId, ex.Message);
            return upload.Refused(RejectReasons.Aborted, Problem(
                StatusCodes.Status400BadRequest, "Incomplete upload", "The request body ended before it was complete. Nothing was written; send the batch again.", batchId));
        }
        catch (Exception ex) when (DatabaseFailures.IsUnavailable(ex))
        {
            upload.Failed(RejectReasons.DatabaseUnavailable);
            throw;
        }

        return outcome switch
        {
            BatchOutcome.Created created => upload.Committed(created.Batch),
            BatchOutcome.Replayed replayed => upload.Replayed(replayed.Batch),
            BatchOutcome.Conflict conflict => upload.Refused(RejectReasons.Conflict, Conflict(batchId, conflict)),
            BatchOutcome.Invalid invalid => upload.Refused(RejectReasons.InvalidItems, Invalid(batchId, invalid)),
            _ => upload.Refused(RejectReasons.Empty, Empty(batchId)),
        };
    }

    private static async Task<Results<Ok<BatchStatus>, ProblemHttpResult>> GetAsync(string batchId, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (!IsValidId(batchId))
        {
            return InvalidId(batchId);
        }

        var batch = await BatchStore.FindAsync(dataSource, batchId, cancellationToken);
        if (batch is null)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown batch", $"No batch '{batchId}' has been committed.", batchId);
        }

        return TypedResults.Ok(new BatchStatus(batch.BatchId, "committed", batch.Items, batch.ReceivedAt, batch.CommittedAt, batch.ContentSha256));
    }

    /// <summary>
    /// The client hung up or sent less than it announced: the request was aborted, or reading the body failed
    /// on the connection (Kestrel's BadHttpRequestException, a connection reset).
    /// </summary>
    private static bool IsClientGone(Exception exception, HttpContext context) =>
        (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        || exception is BadHttpRequestException
        || exception is IOException;

    private static ProblemHttpResult InvalidId(string batchId) =>
        Problem(StatusCodes.Status400BadRequest, "Invalid batch id", $"'{Shorten(batchId)}' is not a valid batch id. {IdRule}", batchId: null);

    private static ProblemHttpResult Malformed(string batchId, BatchFormatException error)
    {
        var extensions = new Dictionary<string, object?> { ["batchId"] = batchId };
        if (error.Line is { } line)
        {
            extensions["line"] = line;
        }

        if (error.Position is { } position)
        {
            extensions["position"] = position;
        }

        return Problem(StatusCodes.Status400BadRequest, "Malformed batch", $"{error.Message} Nothing was written.", extensions);
    }

    private static ProblemHttpResult TooLarge(string detail, string batchId, BatchesOptions options) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Batch too large", detail, new Dictionary<string, object?>
        {
            ["batchId"] = batchId,
            ["maxItems"] = options.MaxItems,
            ["maxBodyBytes"] = options.MaxBodyBytes,
        });

    private static ProblemHttpResult Conflict(string batchId, BatchOutcome.Conflict conflict) => Problem(
        StatusCodes.Status409Conflict,
        "Batch id already used",
        string.Create(
            CultureInfo.InvariantCulture,
            $"Batch '{batchId}' was committed at {conflict.Existing.CommittedAt:O} with other content (SHA-256 {conflict.Existing.ContentSha256}; this upload's is {conflict.ContentSha256}). Nothing was written; send new content under a new batch id."),
        new Dictionary<string, object?>
        {
            ["batchId"] = batchId,
            ["committedSha256"] = conflict.Existing.ContentSha256,
            ["contentSha256"] = conflict.ContentSha256,
        });

    private static ProblemHttpResult Invalid(string batchId, BatchOutcome.Invalid invalid) => Problem(
        StatusCodes.Status422UnprocessableEntity,
        "Invalid batch items",
        string.Create(CultureInfo.InvariantCulture, $"{invalid.InvalidItems} of {invalid.Items} items are invalid; nothing was written. {InvalidReasons.Rules}"),
        new Dictionary<string, object?>
        {
            ["batchId"] = batchId,
            ["items"] = invalid.Items,
            ["invalidCount"] = invalid.InvalidItems,
            ["invalidItems"] = invalid.Sample.ToArray(),
        });

    private static ProblemHttpResult Empty(string batchId) => Problem(
        StatusCodes.Status422UnprocessableEntity,
        "Empty batch",
        "The batch has no items; nothing was written.",
        new Dictionary<string, object?>
        {
            ["batchId"] = batchId,
            ["items"] = 0,
            ["invalidCount"] = 0,
            ["invalidItems"] = Array.Empty<InvalidBatchItem>(),
        });

    private static ProblemHttpResult Problem(int status, string title, string detail, string? batchId) =>
        Problem(status, title, detail, batchId is null ? null : new Dictionary<string, object?> { ["batchId"] = batchId });

    private static ProblemHttpResult Problem(int status, string title, string detail, Dictionary<string, object?>? extensions) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);

    /// <summary>An id echoed in a message is cut short, so a 10,000-character id does not come back whole.</summary>
    internal static string Shorten(string? value) =>
        value is null ? "" : value.Length <= 100 ? value : value[..100] + "...";

    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,100}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
