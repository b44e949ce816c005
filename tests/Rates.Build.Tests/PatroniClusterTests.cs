using Rates.Build.HighAvailability;

namespace Rates.Build.Tests;

public class PatroniClusterTests
{
    // GET /cluster of Patroni 2.0.2 (Debian bullseye's package) on the ha topology, one member per role.
    private const string ClusterJson = """
        {"members": [
          {"name": "patroni1", "role": "replica", "state": "running", "api_url": "http://patroni1:8008/patroni", "host": "patroni1", "port": 5432, "timeline": 2, "lag": 16},
          {"name": "patroni2", "role": "leader", "state": "running", "api_url": "http://patroni2:8008/patroni", "host": "patroni2", "port": 5432, "timeline": 2},
          {"name": "patroni3", "role": "sync_standby", "state": "running", "api_url": "http://patroni3:8008/patroni", "host": "patroni3", "port": 5432, "timeline": 2, "lag": 0}
        ]}
        """;

    [Fact]
    public void Cluster_answer_names_the_leader_the_sync_standby_and_the_lag_of_each_replica()
    {
        var cluster = PatroniCluster.Parse(ClusterJson);

        Assert.Equal("patroni2", cluster.Leader?.Name);
        Assert.Equal("patroni3", cluster.SyncStandby?.Name);
        Assert.Equal(["replica", "leader", "sync standby"], cluster.Members.Select(m => m.RoleName));
        Assert.Equal([16L, null, 0L], cluster.Members.Select(m => m.Lag));
        Assert.All(cluster.Members, m => Assert.Equal(2, m.Timeline));
    }

    [Fact]
    public void A_stopped_leader_is_no_leader_and_unknown_lag_is_null()
    {
        var cluster = PatroniCluster.Parse("""
            {"members": [
              {"name": "patroni1", "role": "leader", "state": "stopped", "host": "patroni1", "port": 5432},
              {"name": "patroni2", "role": "replica", "state": "starting", "host": "patroni2", "port": 5432, "lag": "unknown"}
            ]}
            """);

        Assert.Null(cluster.Leader);
        Assert.Null(cluster.SyncStandby);
        Assert.Null(cluster.Members[1].Lag);
        Assert.Null(cluster.Members[1].Timeline);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"state": "running"}""")]
    public void An_answer_that_is_not_a_cluster_is_a_format_error(string body)
    {
        Assert.Throws<FormatException>(() => PatroniCluster.Parse(body));
    }

    [Fact]
    public async Task Reading_the_cluster_from_nodes_that_do_not_answer_names_each_node()
    {
        Uri[] nodes = [PatroniClient.Local(FreePort()), PatroniClient.Local(FreePort())];
        using var client = new PatroniClient(nodes, null, null);

        var error = await Assert.ThrowsAsync<PatroniException>(() => client.ReadClusterAsync(CancellationToken.None));

        Assert.StartsWith("No Patroni REST API answered GET /cluster (127.0.0.1:", error.Message);
        Assert.All(nodes, node => Assert.Contains($"{node.Authority}: ", error.Message));
    }

    private static int FreePort() => Rates.EmbeddedPostgres.PostgresCluster.FindFreePort();
}
