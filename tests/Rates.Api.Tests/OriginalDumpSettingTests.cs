using Rates.Api.Tests.Infrastructure;

namespace Rates.Api.Tests;

/// <summary>How the compatibility tests find the original dump, and what they say when they cannot.</summary>
public sealed class OriginalDumpSettingTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("rates-dump-setting-");

    public void Dispose() => _folder.Delete(recursive: true);

    private string Repository => Directory.CreateDirectory(Path.Combine(_folder.FullName, "rates")).FullName;

    private string Fallback => Path.Combine(_folder.FullName, "shared", "xeneta", "rates.sql");

    [Fact]
    public void Without_the_setting_or_the_file_beside_the_repository_there_is_no_dump()
    {
        Assert.Null(OriginalDump.Find(null, Repository));
        Assert.Null(OriginalDump.Find("  ", Repository));
    }

    [Fact]
    public void The_file_beside_the_repository_is_found_without_the_setting()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Fallback)!);
        File.WriteAllText(Fallback, "--");

        Assert.Equal(Fallback, OriginalDump.Find(null, Repository));
    }

    [Fact]
    public void The_setting_wins_even_when_it_names_a_missing_file()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Fallback)!);
        File.WriteAllText(Fallback, "--");
        var named = Path.Combine(_folder.FullName, "elsewhere", "rates.sql");

        Assert.Equal(named, OriginalDump.Find(named, Repository));
    }

    [Fact]
    public void The_skip_reason_names_the_setting_and_where_to_download_the_dump()
    {
        var reason = OriginalDump.SkipReason ?? OriginalDump.ReasonWithout;

        Assert.Contains("RATES_ORIGINAL_DUMP", reason);
        Assert.Contains("xeneta/operations-task", reason);
        Assert.Contains("db/rates.sql", reason);
    }
}
