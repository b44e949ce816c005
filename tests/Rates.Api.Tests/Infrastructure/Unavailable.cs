using System.Net;
using Rates.Api.Tests.Batches;

namespace Rates.Api.Tests.Infrastructure;

/// <summary>What the service answers while its database is down, failing over or too slow.</summary>
public static class Unavailable
{
    /// <summary>503 problem+json saying to retry, with Retry-After.</summary>
    public static async Task AssertAsync(HttpResponseMessage response)
    {
        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("The database is unavailable. Try again shortly.", problem.GetProperty("detail").GetString());
        Assert.True(response.Headers.RetryAfter is not null, "503 answers carry Retry-After");
    }
}
