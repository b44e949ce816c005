using Rates.Build.Testing;

namespace Rates.Build.Tests;

public sealed class TrxReportTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"rates-{Guid.NewGuid():N}.trx");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Counts_outcomes_and_collects_failures()
    {
        File.WriteAllText(_path, """
            <?xml version="1.0" encoding="utf-8"?>
            <TestRun id="1" name="run" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
              <Times creation="2025-01-01T10:00:00.0000000+00:00" start="2025-01-01T10:00:00.0000000+00:00" finish="2025-01-01T10:00:02.5000000+00:00" />
              <Results>
                <UnitTestResult testName="A.Passes" outcome="Passed" />
                <UnitTestResult testName="A.AlsoPasses" outcome="Passed" />
                <UnitTestResult testName="A.Fails" outcome="Failed">
                  <Output><ErrorInfo><Message>Assert.Equal() Failure
            Expected: 1</Message></ErrorInfo></Output>
                </UnitTestResult>
                <UnitTestResult testName="A.Skipped" outcome="NotExecuted">
                  <Output><ErrorInfo><Message>Needs a file</Message></ErrorInfo></Output>
                </UnitTestResult>
              </Results>
            </TestRun>
            """);

        var report = TrxReport.Read(_path);

        Assert.Equal((2, 1, 1, 4), (report.Passed, report.Failed, report.Skipped, report.Total));
        Assert.Equal(TimeSpan.FromSeconds(2.5), report.Duration);
        var failure = Assert.Single(report.Failures);
        Assert.Equal("A.Fails", failure.Name);
        Assert.StartsWith("Assert.Equal() Failure", failure.Message);
        Assert.Equal(new TestNote("A.Skipped", "Needs a file"), Assert.Single(report.SkippedTests));
    }

    [Fact]
    public void A_file_that_is_not_trx_is_reported_by_path()
    {
        File.WriteAllText(_path, "<html/>");

        var ex = Assert.Throws<InvalidDataException>(() => TrxReport.Read(_path));

        Assert.Contains(_path, ex.Message);
    }

    [Theory]
    [InlineData(10, 0, 0, "10 passed, 0 failed")]
    [InlineData(10, 2, 0, "10 passed, 2 failed")]
    [InlineData(10, 2, 3, "10 passed, 2 failed, 3 skipped")]
    public void Totals_line_adds_skipped_only_when_any(int passed, int failed, int skipped, string expected) =>
        Assert.Equal(expected, TrxReport.TotalsLine(passed, failed, skipped));
}
