using System.Text.Json;
using Rates.Build.Framework;

namespace Rates.Build.Tests;

public sealed class SchemaTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rates-schema-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed class SchemaBuild : BuildBase
    {
        [Parameter("Build configuration.")]
        [UsedBy(nameof(Compile))]
        public ParameterTests.Flavour Configuration = ParameterTests.Flavour.Debug;

        [Parameter("Port.", Minimum = 1, Maximum = 65535)]
        [UsedBy(nameof(Compile))]
        public int Port = 5432;

        [Parameter("Tags.")]
        [UsedBy(nameof(Compile))]
        public string[] Tags = [];

        [Parameter("Secret.")]
        [Secret]
        [UsedBy(nameof(Compile))]
        public string? Password;

        [Parameter("Dump.")]
        [UsedBy(nameof(Compile))]
        public AbsolutePath Dump = AbsolutePath.Create(Path.Combine(Path.GetTempPath(), "data", "rates.sql"));

        Target Compile => _ => _.Description("Builds it.").Executes(() => { });
    }

    [Fact]
    public async Task Schema_describes_parameters_and_targets()
    {
        var path = Path.Combine(_directory, "build.schema.json");

        await TestHost.RunAsync(new SchemaBuild(), "--help", schemaPath: path);

        using var schema = JsonDocument.Parse(File.ReadAllText(path));
        var properties = schema.RootElement.GetProperty("properties");
        Assert.Equal(["Debug", "Release"], properties.GetProperty("Configuration").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Debug", properties.GetProperty("Configuration").GetProperty("default").GetString());
        Assert.Equal("integer", properties.GetProperty("Port").GetProperty("type").GetString());
        Assert.Equal(65535, properties.GetProperty("Port").GetProperty("maximum").GetDouble());
        Assert.Equal("array", properties.GetProperty("Tags").GetProperty("type").GetString());
        Assert.False(properties.TryGetProperty("Password", out _)); // secrets never come from parameters.json
        // Relative to the root (TestHost uses the temp folder), so the committed file is the same on every clone.
        Assert.Equal("data/rates.sql", properties.GetProperty("Dump").GetProperty("default").GetString());
        var target = schema.RootElement.GetProperty("definitions").GetProperty("Target").GetProperty("oneOf")[0];
        Assert.Equal("Compile", target.GetProperty("const").GetString());
        Assert.Equal("Builds it.", target.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Schema_is_only_rewritten_when_it_changes()
    {
        var path = Path.Combine(_directory, "build.schema.json");
        await TestHost.RunAsync(new SchemaBuild(), "--help", schemaPath: path);
        var written = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, written);

        await TestHost.RunAsync(new SchemaBuild(), "--help", schemaPath: path);
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));

        File.WriteAllText(path, "{}");
        await TestHost.RunAsync(new SchemaBuild(), "--help", schemaPath: path);
        Assert.Contains("\"Configuration\"", File.ReadAllText(path));
    }
}
