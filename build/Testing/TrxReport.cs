using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Rates.Build.Testing;

internal sealed record FailedTest(string Name, string Message);

/// <summary>The counts of one VSTest .trx results file (what `dotnet test --logger trx` writes).</summary>
internal sealed record TrxReport(int Passed, int Failed, int Skipped, TimeSpan Duration, IReadOnlyList<FailedTest> Failures)
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
        var failures = new List<FailedTest>();
        foreach (var result in document.Descendants(s_ns + "UnitTestResult"))
        {
            switch ((string?)result.Attribute("outcome"))
            {
                case "Passed" or "PassedButRunAborted":
                    passed++;
                    break;
                case "NotExecuted" or "NotRunnable" or "Inconclusive":
                    skipped++;
                    break;
                default: // Failed, Error, Timeout, Aborted...
                    failed++;
                    var message = (string?)result.Descendants(s_ns + "Message").FirstOrDefault() ?? "";
                    failures.Add(new FailedTest((string?)result.Attribute("testName") ?? "(unnamed test)", message.Trim()));
                    break;
            }
        }

        var times = document.Root.Element(s_ns + "Times");
        var duration = DateTimeOffset.TryParse((string?)times?.Attribute("start"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            && DateTimeOffset.TryParse((string?)times?.Attribute("finish"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var finish)
                ? finish - start
                : TimeSpan.Zero;
        return new TrxReport(passed, failed, skipped, duration, failures);
    }

    /// <summary>The closing line CI reads: <c>N passed, N failed</c>, plus <c>, N skipped</c> when any were skipped.</summary>
    public static string TotalsLine(int passed, int failed, int skipped) =>
        skipped > 0 ? $"{passed} passed, {failed} failed, {skipped} skipped" : $"{passed} passed, {failed} failed";
}
