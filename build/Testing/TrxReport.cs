using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Rates.Build.Testing;

/// <summary>A test that failed (<see cref="Message"/>: its error) or was skipped (its skip reason).</summary>
internal sealed record TestNote(string Name, string Message);

/// <summary>The counts of one VSTest .trx results file (what `dotnet test --logger trx` writes).</summary>
internal sealed record TrxReport(
    int Passed, int Failed, int Skipped, TimeSpan Duration, IReadOnlyList<TestNote> Failures, IReadOnlyList<TestNote> SkippedTests)
{
    private static readonly XNamespace s_ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public int Total => Passed + Failed + Skipped;

    /// <summary>Reads a trx file; throws <see cref="InvalidDataException"/> naming the file when it is not one.</summary>
    public static TrxReport Read(string path)
    {
        XDocument document;
        try
        {
            document = XDocument.Load(path);
        }
        catch (XmlException ex)
        {
            throw new InvalidDataException($"{path} is not a valid trx file: {ex.Message}", ex);
        }

        if (document.Root?.Name != s_ns + "TestRun")
            throw new InvalidDataException($"{path} is not a trx file (no TestRun element).");

        int passed = 0, failed = 0, skipped = 0;
        var failures = new List<TestNote>();
        var skippedTests = new List<TestNote>();
        foreach (var result in document.Descendants(s_ns + "UnitTestResult"))
        {
            switch ((string?)result.Attribute("outcome"))
            {
                case "Passed" or "PassedButRunAborted":
                    passed++;
                    break;
                case "NotExecuted" or "NotRunnable" or "Inconclusive":
                    skipped++;
                    skippedTests.Add(Outcome(result));
                    break;
                default: // Failed, Error, Timeout, Aborted...
                    failed++;
                    failures.Add(Outcome(result));
                    break;
            }
        }

        var times = document.Root.Element(s_ns + "Times");
        var duration = DateTimeOffset.TryParse((string?)times?.Attribute("start"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            && DateTimeOffset.TryParse((string?)times?.Attribute("finish"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var finish)
                ? finish - start
                : TimeSpan.Zero;
        return new TrxReport(passed, failed, skipped, duration, failures, skippedTests);
    }

    private static TestNote Outcome(XElement result) => new(
        (string?)result.Attribute("testName") ?? "(unnamed test)",
        ((string?)result.Descendants(s_ns + "Message").FirstOrDefault() ?? "").Trim());

    /// <summary>The closing line CI reads: <c>N passed, N failed</c>, plus <c>, N skipped</c> when any were skipped.</summary>
    public static string TotalsLine(int passed, int failed, int skipped) =>
        skipped > 0 ? $"{passed} passed, {failed} failed, {skipped} skipped" : $"{passed} passed, {failed} failed";
}
