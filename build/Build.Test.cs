using Rates.Build.Testing;
using Spectre.Console.Rendering;

partial class Build
{
    static AbsolutePath TestResultsDirectory => ArtifactsDirectory / "test-results";

    /// <summary>Written by Test with the totals line, so CI can print it last.</summary>
    static AbsolutePath TestTotalsFile => TestResultsDirectory / "totals.txt";

    /// <summary>Which PostgreSQL the integration tests start; passed to them as RATES_TEST_POSTGRES.</summary>
    public enum TestDatabase { Auto, Docker, Embedded }

    [Parameter("PostgreSQL for the integration tests: Auto (a postgres:13.5 container when a Docker engine answers, " +
               "else the embedded server), Docker or Embedded.")]
    [UsedBy(nameof(Test))]
    readonly TestDatabase TestPostgres = TestDatabase.Auto;

    [Parameter("Test projects to run, by name (e.g. Rates.Api.Tests); default: every project under tests/.")]
    [UsedBy(nameof(Test))]
    readonly string[] TestProjects = [];

    Target Test => _ => _
        .Description("Runs every test project (tests/*/*.Tests.csproj); trx files in artifacts/test-results, totals at the end.")
        .DependsOn(Compile)
        .Executes(async () =>
        {
            var projects = SelectedTestProjects();
            if (PgBin is not null)
                DescribePgBin(PgBin);
            TestResultsDirectory.CreateOrCleanDirectory(); // old trx files would be counted as this run's
            var runs = new List<TestProjectRun>();
            foreach (var project in projects)
                runs.Add(await RunTestProjectAsync(project)); // every project runs even when an earlier one failed: one run reports all failures

            WriteTestSummary(runs);
            var problems = runs.Where(r => r.Problem is not null).Select(r => $"{r.Project}: {r.Problem}").ToList();
            if (problems.Count > 0)
                throw new BuildFailedException("Tests failed: " + string.Join("; ", problems));
        });

    /// <summary>dotnet test of one project, its trx file in artifacts/test-results; its failures are read from the trx, not thrown.</summary>
    async Task<TestProjectRun> RunTestProjectAsync(AbsolutePath project)
    {
        var name = Path.GetFileNameWithoutExtension(project.Name);
        var trx = TestResultsDirectory / $"{name}.trx";
        var result = await DotNetAsync(
            ["test", project, "--no-build", "-nologo", "-c", Configuration.ToString(),
             "--logger", $"trx;LogFileName={name}.trx", "--results-directory", TestResultsDirectory],
            new ProcessOptions
            {
                CheckExitCode = false,
                Environment = new Dictionary<string, string?>
                {
                    ["RATES_TEST_POSTGRES"] = TestPostgres.ToString().ToLowerInvariant(),
                    ["RATES_PG_BIN"] = PgBin?.ToString(),
                },
            });
        return TestProjectRun.From(name, result.ExitCode, trx);
    }

    /// <summary>tests/*/*.Tests.csproj, or those of them --test-projects names.</summary>
    /// <exception cref="BuildFailedException">There are none, or --test-projects names one that does not exist.</exception>
    List<AbsolutePath> SelectedTestProjects()
    {
        var projects = TestsDirectory.DirectoryExists
            ? Directory.EnumerateDirectories(TestsDirectory).SelectMany(d => Directory.EnumerateFiles(d, "*.Tests.csproj"))
                .Order(StringComparer.Ordinal).Select(p => AbsolutePath.Create(p)).ToList()
            : [];
        if (projects.Count == 0)
            throw new BuildFailedException($"No test projects found under {TestsDirectory.RelativeTo(RootDirectory)}/*/*.Tests.csproj.");
        if (TestProjects.Length > 0)
        {
            var known = projects.Select(p => Path.GetFileNameWithoutExtension(p.Name)).ToList();
            var unknown = TestProjects.Where(n => !known.Contains(n, StringComparer.OrdinalIgnoreCase)).ToList();
            if (unknown.Count > 0)
                throw new BuildFailedException(
                    $"Unknown test project(s) {string.Join(", ", unknown)} in --test-projects; known: {string.Join(", ", known)}.");
            projects = projects.Where(p => TestProjects.Contains(Path.GetFileNameWithoutExtension(p.Name), StringComparer.OrdinalIgnoreCase)).ToList();
        }

        return projects;
    }

    void WriteTestSummary(IReadOnlyList<TestProjectRun> runs)
    {
        var table = new Table().Border(TableBorder.Square);
        foreach (var column in new[] { "Project", "Passed", "Failed", "Skipped", "Duration", "Result" })
            table.AddColumn(new TableColumn(new Text(column)));
        foreach (var run in runs)
        {
            var report = run.Report;
            table.AddRow(Cells(run.Project, $"{report?.Passed}", $"{report?.Failed}", $"{report?.Skipped}",
                report is null ? "" : report.Duration.ToString(@"m\:ss\.f"), run.Problem ?? "ok"));
        }

        var (passed, failed, skipped) = (runs.Sum(r => r.Report?.Passed ?? 0), runs.Sum(r => r.Report?.Failed ?? 0),
            runs.Sum(r => r.Report?.Skipped ?? 0));
        table.AddRow(Cells("Total", $"{passed}", $"{failed}", $"{skipped}", "",
            runs.All(r => r.Problem is null) ? "ok" : $"{runs.Count(r => r.Problem is not null)} project(s) failed"));
        Output.Write(new Rule("Test results").LeftJustified());
        Output.Write(table);

        // Raw writes (not through Spectre, which wraps at the console width): test names and the totals line
        // must stay whole, the totals line exactly this text alone on its line.
        var raw = Output.Profile.Out.Writer;
        var failures = runs.SelectMany(r => r.Report?.Failures ?? []).ToList();
        const int shown = 30;
        foreach (var failure in failures.Take(shown))
            raw.WriteLine($"  FAILED {failure.Name}: {failure.Message.Split('\n')[0].TrimEnd()}");
        if (failures.Count > shown)
            raw.WriteLine($"  ... and {failures.Count - shown} more (see the trx files in {TestResultsDirectory.RelativeTo(RootDirectory)})");

        // Skipped tests are listed under their reason (e.g. what to download), once per reason.
        foreach (var group in runs.SelectMany(r => r.Report?.SkippedTests ?? []).GroupBy(t => t.Message.Split('\n')[0].TrimEnd()))
        {
            raw.WriteLine($"  SKIPPED {group.Count()} test(s): {(group.Key.Length > 0 ? group.Key : "no reason given")}");
            foreach (var test in group)
                raw.WriteLine($"    {test.Name}");
        }

        var totals = TrxReport.TotalsLine(passed, failed, skipped);
        File.WriteAllText(TestTotalsFile, totals + "\n");
        raw.WriteLine(totals);

        static IRenderable[] Cells(params string[] values) => values.Select(v => (IRenderable)new Text(v)).ToArray();
    }

    sealed record TestProjectRun(string Project, TrxReport? Report, string? Problem)
    {
        public static TestProjectRun From(string project, int exitCode, AbsolutePath trx)
        {
            if (!trx.FileExists)
                return new TestProjectRun(project, null, $"no results written (exit code {exitCode})");
            TrxReport report;
            try
            {
                report = TrxReport.Read(trx);
            }
            catch (InvalidDataException ex)
            {
                return new TestProjectRun(project, null, ex.Message);
            }

            // A non-zero exit without failed tests means the run itself broke (test host crash, no tests found...).
            var problem = report.Failed > 0 ? $"{report.Failed} failed"
                : exitCode != 0 ? $"test run failed (exit code {exitCode})"
                : null;
            return new TestProjectRun(project, report, problem);
        }
    }
}
