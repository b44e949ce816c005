using System.Globalization;
using Rates.Api.Tests.Infrastructure;

namespace Rates.Api.Tests.Batches;

/// <summary>The Batches settings are validated at start-up like every other setting: a bad value stops the service, naming the key.</summary>
public sealed class BatchOptionsTests
{
    [Theory]
    [InlineData("Batches__MaxItems", "0", "Batches:MaxItems must be between 1 and 100000000.")]
    [InlineData("Batches__MaxBodyBytes", "100", "Batches:MaxBodyBytes must be between 1024 and 68719476736 (64 GiB).")]
    [InlineData("Batches__StatementTimeoutSeconds", "0", "Batches:StatementTimeoutSeconds must be between 1 and 3600.")]
    public async Task An_invalid_batches_setting_stops_the_service_naming_the_key(string key, string value, string message)
    {
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Rates"] = ClosedPort.ConnectionString,
            ["Service__ListenAddress"] = "127.0.0.1",
            ["Service__Port"] = PostgresServers.FreePort().ToString(CultureInfo.InvariantCulture),
            [key] = value,
        });

        Assert.NotEqual(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(message, service.Output);
    }
}
