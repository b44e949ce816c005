using Rates.Build.Chaos;

namespace Rates.Build.Tests;

/// <summary>The pieces of ./build.sh Chaos that need no running environment: the verdict and the report.</summary>
public class ChaosTests
{
    private static AcknowledgedBatch Ack(string id, int items) => new(id, items, 1, TimeSpan.Zero);

    [Fact]
    public void Acknowledged_batches_stored_once_whole_hold()
    {
        var verdict = ChaosVerifier.Compare(
            new Dictionary<string, AcknowledgedBatch> { ["r-a"] = Ack("r-a", 10), ["r-b"] = Ack("r-b", 5) },
            new Dictionary<string, int> { ["r-a"] = 10, ["r-b"] = 5, ["r-c"] = 7 },
            new Dictionary<string, int> { ["r-a"] = 10, ["r-b"] = 5 },
            new Dictionary<string, long> { ["r-a"] = 10, ["r-b"] = 5 });

        Assert.True(verdict.Holds);
        Assert.Equal(2, verdict.Acknowledged);
        Assert.Equal(15, verdict.AcknowledgedRows);
    }

    [Fact]
    public void Lost_partial_duplicated_and_orphaned_batches_are_each_named()
    {
        var verdict = ChaosVerifier.Compare(
            new Dictionary<string, AcknowledgedBatch> { ["lost"] = Ack("lost", 3), ["partial"] = Ack("partial", 3), ["twice"] = Ack("twice", 3) },
            new Dictionary<string, int> { ["lost"] = 3, ["partial"] = 3, ["twice"] = 3, ["orphan"] = 4, ["whole"] = 2 },
            new Dictionary<string, int> { ["partial"] = 3, ["twice"] = 3, ["whole"] = 2 },
            new Dictionary<string, long> { ["partial"] = 2, ["twice"] = 6, ["orphan"] = 4, ["whole"] = 2 });

        Assert.False(verdict.Holds);
        Assert.Equal(["lost"], verdict.Lost);
        Assert.Equal(["partial"], verdict.Partial);
        Assert.Equal(["twice"], verdict.Duplicated);
        Assert.Equal(["orphan"], verdict.Orphaned);
        Assert.Equal(["whole"], verdict.StoredUnacknowledged);
    }

    [Fact]
    public void The_recovery_time_is_the_first_successful_write_after_failed_ones()
    {
        var journal = new ChaosJournal();
        journal.Write(TimeSpan.FromSeconds(9), Outcome.Of(201));
        journal.Write(TimeSpan.FromSeconds(10.5), Outcome.Of(503));
        journal.Write(TimeSpan.FromSeconds(11), Outcome.Failed("connection"));
        journal.Write(TimeSpan.FromSeconds(14), Outcome.Of(201));
        journal.Read(TimeSpan.FromSeconds(12), Outcome.Of(503));
        journal.Read(TimeSpan.FromSeconds(12), Outcome.Of(200));
        journal.Read(TimeSpan.FromSeconds(31), Outcome.Of(500));
        var faults = new[]
        {
            new FaultRecord("kill-leader", "kill -9 of patroni1", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)),
            new FaultRecord("switchover", "patroni2 -> patroni1", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(35)),
        };

        var figures = ChaosReport.Figures(faults, journal, TimeSpan.FromSeconds(40));

        Assert.Equal(TimeSpan.FromSeconds(4), figures[0].Rto);
        Assert.Equal(2, figures[0].FailedWrites);
        Assert.Equal(new Dictionary<string, int> { ["200"] = 1, ["503"] = 1 }, figures[0].Reads);
        Assert.Null(figures[1].Rto); // no write at all after the switchover
        Assert.Equal(1, ChaosReport.Count500(journal));
    }

    [Fact]
    public void A_write_that_succeeds_before_the_fault_takes_effect_does_not_hide_the_outage_after_it()
    {
        var journal = new ChaosJournal();
        journal.Write(TimeSpan.FromSeconds(10.2), Outcome.Of(201)); // the partition is not effective yet
        journal.Write(TimeSpan.FromSeconds(12), Outcome.Failed("timeout"));
        journal.Write(TimeSpan.FromSeconds(20), Outcome.Of(201));
        journal.Write(TimeSpan.FromSeconds(25), Outcome.Of(503));
        journal.Write(TimeSpan.FromSeconds(31), Outcome.Of(201));
        journal.Write(TimeSpan.FromSeconds(51), Outcome.Of(503));
        var faults = new[]
        {
            new FaultRecord("partition-leader", "patroni1 cut off for 20 s", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(40)),
            new FaultRecord("switchover", "patroni2 -> patroni1", TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(55)),
        };

        var figures = ChaosReport.Figures(faults, journal, TimeSpan.FromSeconds(60));

        Assert.Equal(TimeSpan.FromSeconds(21), figures[0].Rto);
        Assert.Equal(2, figures[0].FailedWrites);
        Assert.Null(figures[1].Rto); // the last probe failed: writes were not back by the end
    }

    [Fact]
    public void Each_goal_says_whether_the_run_met_it()
    {
        var journal = new ChaosJournal();
        journal.Write(TimeSpan.FromSeconds(11), Outcome.Failed("connection"));
        journal.Write(TimeSpan.FromSeconds(45), Outcome.Of(201)); // 35 s after the kill
        journal.Write(TimeSpan.FromSeconds(61), Outcome.Of(201));
        journal.Read(TimeSpan.FromSeconds(62), Outcome.Of(200));
        journal.Read(TimeSpan.FromSeconds(81), Outcome.Failed("timeout"));
        var faults = new[]
        {
            new FaultRecord("kill-leader", "kill -9 of patroni1", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(50)),
            new FaultRecord("switchover", "patroni2 -> patroni1", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(65)),
            new FaultRecord("rolling-deploy", "2 API replica(s) replaced", TimeSpan.FromSeconds(80), TimeSpan.FromSeconds(90)),
        };
        var verdict = ChaosVerifier.Compare(new Dictionary<string, AcknowledgedBatch> { ["a"] = Ack("a", 3) },
            new Dictionary<string, int> { ["a"] = 3 }, new Dictionary<string, int> { ["a"] = 3 }, new Dictionary<string, long> { ["a"] = 3 });

        var goals = ChaosReport.Goals(ChaosReport.Figures(faults, journal, TimeSpan.FromSeconds(100)), verdict, journal)
            .ToDictionary(g => g.Goal, g => (g.Measured, g.Met));

        Assert.Equal(("3", false), goals["At least 5 injected faults"]);
        Assert.Equal(("0 of 1", true), goals["0 acknowledged batches lost, duplicated or partial"]);
        Assert.Equal(("35.0 s", false), goals["kill-leader: writes succeed again within 30 s"]);
        Assert.Equal(("0 reads, 0 write probes, 0 batch uploads", true), goals["switchover: 0 failed requests"]);
        Assert.Equal(("1 reads, 0 write probes, 0 batch uploads", false), goals["rolling-deploy: 0 failed requests"]);
    }

    [Fact]
    public void The_generated_section_is_replaced_and_the_rest_of_the_file_kept()
    {
        var file = Path.Combine(Path.GetTempPath(), $"reliability-{Guid.NewGuid():N}.md");
        try
        {
            File.WriteAllText(file, $"# Reliability\n\nIntro.\n\n{ChaosReport.StartMarker}\nold figures\n{ChaosReport.EndMarker}\n\n## After\n");

            ChaosReport.Write(file, $"{ChaosReport.StartMarker}\nnew figures\n{ChaosReport.EndMarker}\n");

            var text = File.ReadAllText(file);
            Assert.Contains("new figures", text);
            Assert.DoesNotContain("old figures", text);
            Assert.StartsWith("# Reliability\n\nIntro.\n", text);
            Assert.EndsWith("## After\n", text);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
