using Npgsql;
using Rates.Synthetic;
using Region = Rates.Synthetic.Region;

namespace Rates.Build.Batches;

/// <summary>The regions and ports of a running database as a generator catalog, so a batch names only ports that exist there.</summary>
internal static class DatabaseCatalog
{
    /// <exception cref="BuildFailedException">The database cannot be read, or its ports cannot drive the generator.</exception>
    public static async Task<PortCatalog> ReadAsync(string connectionString, CancellationToken cancellationToken)
    {
        var regions = new List<Region>();
        var ports = new List<Port>();
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using (var command = new NpgsqlCommand("SELECT slug, name, parent_slug FROM public.regions", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    regions.Add(new Region(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }

            await using (var command = new NpgsqlCommand("SELECT code, name, parent_slug FROM public.ports", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    ports.Add(new Port(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }
        catch (NpgsqlException ex)
        {
            throw new BuildFailedException($"Could not read the ports of the environment's database: {ex.Message}", ex);
        }

        if (ports.Count < 2)
            throw new BuildFailedException($"The environment's database has {ports.Count} port(s); a batch needs at least two to make a lane. Load data first (./build.sh DbSeed).");
        try
        {
            return PortCatalog.Create(regions, ports);
        }
        catch (InvalidOperationException ex)
        {
            throw new BuildFailedException($"The environment's regions and ports cannot drive the batch generator: {ex.Message}", ex);
        }
    }
}
