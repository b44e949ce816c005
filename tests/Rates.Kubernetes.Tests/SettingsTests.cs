using System.ComponentModel.DataAnnotations;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Rates.Database;
using Rates.Kubernetes.Tests.Infrastructure;

namespace Rates.Kubernetes.Tests;

/// <summary>
/// The settings the manifests pass are settings the service knows (its options types, not a list kept here), and
/// their values pass the validation the service runs at start-up.
/// </summary>
public sealed class SettingsTests
{
    /// <summary>Variables of the .NET runtime and ASP.NET Core themselves, not the service's settings.</summary>
    private static readonly string[] s_runtimePrefixes = ["DOTNET_", "ASPNETCORE_"];

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Every_setting_passed_to_the_api_is_one_the_service_reads(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        AssertKnown(rendered, rendered.ApiContainer, ServiceContract.Sections);
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void Every_setting_passed_to_the_migrations_is_one_the_migrator_reads(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        AssertKnown(rendered, Assert.Single(rendered.Migrations.Spec.Template.Spec.Containers), ServiceContract.MigratorSections);
    }

    [Theory]
    [MemberData(nameof(Overlays.Names), MemberType = typeof(Overlays))]
    public void The_api_settings_pass_the_service_start_up_validation(string overlay)
    {
        var rendered = RenderedOverlay.Of(overlay);
        var configuration = Configuration(rendered, rendered.ApiContainer);

        foreach (var (section, type) in ServiceContract.Sections)
        {
            var options = Activator.CreateInstance(type)!;
            configuration.GetSection(section).Bind(options);
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
            Assert.True(results.Count == 0, $"{overlay}: section {section}: {string.Join(" ", results.Select(r => r.ErrorMessage))}");
        }

        var database = configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>() ?? new DatabaseOptions();
        Assert.Empty(database.Validate(configuration.GetConnectionString(DatabaseOptions.ConnectionStringName)));
    }

    [Theory]
    [InlineData("Database__Host", null)]
    [InlineData("Shutdown__DrainTimeoutSeconds", null)]
    [InlineData("ConnectionStrings__Rates", null)]
    [InlineData("Metrics__Port", null)]
    [InlineData("Shutdown__PreStopSeconds", null)]
    [InlineData("Auth__ApiKeys__carrier-a", null)]
    [InlineData("Auth__AllowAnonymousWrites", null)]
    [InlineData("Auth__ApiKey__carrier-a", "'ApiKey' is not a setting of Auth")]
    [InlineData("Auth__ApiKeys", "names a group of settings")]
    [InlineData("Metrics__Path", "'Path' is not a setting of Metrics")]
    [InlineData("Shutdown__DrainTimeout", "'DrainTimeout' is not a setting of Shutdown")]
    [InlineData("Databse__Host", "'Databse' is not a configuration section")]
    [InlineData("database__host", "'database' is not a configuration section")]
    [InlineData("Database_Host", "not a Section__Key setting")]
    [InlineData("Database", "not a Section__Key setting")]
    public void A_misspelled_setting_is_recognised(string variable, string? problem)
    {
        var why = ServiceContract.WhyUnknown(variable, ServiceContract.Sections);
        if (problem is null)
            Assert.Null(why);
        else
            Assert.Contains(problem, why);
    }

    private static void AssertKnown(RenderedOverlay rendered, V1Container container, IReadOnlyDictionary<string, Type> sections)
    {
        var unknown = rendered.Settings(container)
            .Where(s => !s_runtimePrefixes.Any(p => s.Name.StartsWith(p, StringComparison.Ordinal)))
            .Select(s => (s.Name, s.Source, Why: ServiceContract.WhyUnknown(s.Name, sections)))
            .Where(s => s.Why is not null)
            .Select(s => $"{s.Name} ({s.Source}): {s.Why}")
            .ToList();
        Assert.True(unknown.Count == 0, $"{rendered.Name}: container {container.Name} gets settings the service does not read:{Environment.NewLine}{string.Join(Environment.NewLine, unknown)}");
    }

    /// <summary>The container's settings as the service would see them; values from Secrets are stand-ins.</summary>
    private static IConfiguration Configuration(RenderedOverlay rendered, V1Container container) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(rendered.Settings(container).Select(s =>
                KeyValuePair.Create(s.Name.Replace("__", ":", StringComparison.Ordinal), (string?)(s.Value ?? $"value-of-{s.Source}"))))
            .Build();
}
