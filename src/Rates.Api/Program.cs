using Rates.Api;
using Rates.Api.Auth;
using Rates.Api.Batches;
using Rates.Api.Database;
using Rates.Api.Errors;
using Rates.Api.Health;
using Rates.Api.Hosting;
using Rates.Api.Metrics;
using Rates.Api.Rates;
using Rates.Api.Root;

// Each feature lives in its own folder and adds itself here: services first, then the pipeline and endpoints.
// The content root is the application's folder, so appsettings.json is found whatever the working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddServiceEndpoint();
builder.Services.AddGracefulShutdown();
builder.Services.AddApiJson();
builder.Services.AddApiErrorHandling();
builder.Services.AddRatesDatabase();
builder.Services.AddRates();
builder.Services.AddHealth();
builder.Services.AddApiKeys();
builder.Services.AddBatches();
builder.Services.AddMetricsExport();

var app = builder.Build();

app.UseRouting();
app.UseRequestMetrics(); // outside the error handling, so a 503 or 500 is counted with its real status code
app.UseApiErrorHandling();
app.UseMetricsPort();

app.MapRoot();
app.MapRates();
app.MapHealth();
app.MapBatches();
app.MapMetricsEndpoint();

app.Run();

/// <summary>The entry point; public so integration tests can host the service with WebApplicationFactory.</summary>
public partial class Program;
