namespace Rates.Api.Root;

public sealed record MessageResponse(string Message);

public static class RootEndpoints
{
    /// <summary>GET / answers like the original service: {"message": "Hello world!"}.</summary>
    public static IEndpointRouteBuilder MapRoot(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", () => TypedResults.Ok(new MessageResponse("Hello world!")))
            .WithName("Root");
        return endpoints;
    }
}
