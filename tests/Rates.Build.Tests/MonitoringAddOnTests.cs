using Rates.Build.Framework;
using Rates.Build.Monitoring;

namespace Rates.Build.Tests;

/// <summary>Up --monitoring's add-on: which compose files, variables and volumes are its own.</summary>
public class MonitoringAddOnTests
{
    private static readonly AbsolutePath Root = AbsolutePath.Create("/repo");

    [Fact]
    public void The_overlay_is_added_to_every_topology_and_the_ha_file_only_to_ha()
    {
        Assert.Equal(["/repo/deploy/monitoring/compose.monitoring.yaml"], MonitoringAddOn.ComposeFiles(Root, highAvailability: false).Select(f => f.ToString()));
        Assert.Equal(
            ["/repo/deploy/monitoring/compose.monitoring.yaml", "/repo/deploy/monitoring/compose.monitoring-ha.yaml"],
            MonitoringAddOn.ComposeFiles(Root, highAvailability: true).Select(f => f.ToString()));
    }

    [Fact]
    public void Variables_carry_the_configuration_folder_and_ports_and_urls_are_on_loopback()
    {
        var addOn = new MonitoringAddOn(Root / "deploy" / "monitoring", 9490, 9491);

        Assert.Equal("/repo/deploy/monitoring", addOn.Variables["RATES_MONITORING_DIR"]);
        Assert.Equal("9490", addOn.Variables["RATES_PROMETHEUS_PORT"]);
        Assert.Equal("9491", addOn.Variables["RATES_ALERTMANAGER_PORT"]);
        Assert.Equal("http://127.0.0.1:9490", addOn.PrometheusUrl);
        Assert.Equal("http://127.0.0.1:9491", addOn.AlertmanagerUrl);
        Assert.Equal(["Prometheus", "Alertmanager"], addOn.Urls.Select(u => u.Key));
    }

    [Theory]
    [InlineData("rates-dev_prometheus-data", true)]
    [InlineData("rates-dev_alertmanager-data", true)]
    [InlineData("rates-dev_pgdata", false)]
    [InlineData("rates-dev_patroni1", false)]
    public void Only_the_add_ons_volumes_are_its_own(string volume, bool own) =>
        Assert.Equal(own, MonitoringAddOn.IsOwnVolume(volume));
}
