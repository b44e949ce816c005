using Microsoft.Extensions.Configuration;
using Npgsql;
using Rates.Database;

namespace Rates.Migrator;

/// <summary>
/// <c>Rates.Migrator migrate</c> applies the migrations; <c>Rates.Migrator seed [--file PATH] [--force]</c>
/// also loads data when the database has none (or always, with --force). The database settings are the
/// service's: ConnectionStrings__Rates or Database__Host/__Port/__Name/__Username/__Password, from the
/// environment or as --Database:Host=... arguments.
/// </summary>
internal static class MigratorCommand
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    internal const string SeedRelativePath = "db/seed/seed.sql";

    private const string Usage = """
        Usage:
          Rates.Migrator migrate                        apply the database migrations
          Rates.Migrator seed [--file PATH] [--force]   apply the migrations and load data into an empty database

        seed options:
          --file PATH   the SQL file to load. A full pg_dump (one that creates the tables, like the original
                        service's dump) is loaded first and migrated on top; a data-only file (the project's
                        seed) is loaded into the migrated schema. Default: db/seed/seed.sql next to this program
                        or in the current directory or one of its parents.
          --force       replace the data even when the database already has some (drops the service's tables)

        Database settings (environment variables, or arguments such as --Database:Host=db):
          ConnectionStrings__Rates      a full Npgsql connection string; wins over the settings below
          Database__Host, Database__Port (5432), Database__Name, Database__Username, Database__Password
                                        the role that owns the tables and runs the migrations
          ServiceRole__Username, ServiceRole__Password
                                        optional: the login role the service connects as, created (or its
                                        password set) after the migrations, with only the service's privileges
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        return await RunAsync(args, environment: null, output, error, cancellationToken);
    }

    /// <param name="environment">Configuration in place of the process environment (tests); null reads the environment.</param>
    internal static async Task<int> RunAsync(
        string[] args,
        IReadOnlyDictionary<string, string?>? environment,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? error : output).WriteLine(Usage);
            return args.Length == 0 ? UsageError : Success;
        }

        var command = args[0];
        if (command is not ("migrate" or "seed"))
        {
            error.WriteLine($"Unknown command '{command}'.");
            error.WriteLine(Usage);
            return UsageError;
        }

        string? file = null;
        var force = false;
        var settings = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--file" when command == "seed":
                    if (i + 1 >= args.Length || string.IsNullOrWhiteSpace(args[i + 1]))
                    {
                        error.WriteLine("--file needs a path.");
                        return UsageError;
                    }

                    file = args[++i];
                    break;
                case "--force" when command == "seed":
                    force = true;
                    break;
                default:
                    // Configuration overrides: --Section:Key=value or --Section:Key value.
                    if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(':', StringComparison.Ordinal))
                    {
                        settings.Add(arg);
                        if (!arg.Contains('=', StringComparison.Ordinal) && i + 1 < args.Length)
                        {
                            settings.Add(args[++i]);
                        }

                        break;
                    }

                    error.WriteLine($"Unknown argument '{arg}' for '{command}'.");
                    error.WriteLine(Usage);
                    return UsageError;
            }
        }

        var configurationBuilder = new ConfigurationBuilder();
        if (environment is null)
        {
            configurationBuilder.AddEnvironmentVariables();
        }
        else
        {
            // Same key form as the environment (Database__Host), so tests exercise the real mapping.
            configurationBuilder.AddInMemoryCollection(environment.Select(kv => new KeyValuePair<string, string?>(kv.Key.Replace("__", ":", StringComparison.Ordinal), kv.Value)));
        }

        var configuration = configurationBuilder.AddCommandLine(settings.ToArray()).Build();

        var options = new DatabaseOptions();
        try
        {
            configuration.GetSection(DatabaseOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the key and the value it could not convert (e.g. Database:Port=abc).
            error.WriteLine($"Invalid database settings: {ex.Message}");
            return UsageError;
        }

        var configuredConnectionString = configuration.GetConnectionString(DatabaseOptions.ConnectionStringName);
        var problems = options.Validate(configuredConnectionString);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                error.WriteLine(problem);
            }

            return UsageError;
        }

        var serviceRole = configuration.GetSection("ServiceRole");
        var (serviceUser, servicePassword) = (serviceRole["Username"], serviceRole["Password"]);
        if (string.IsNullOrWhiteSpace(serviceUser) != string.IsNullOrEmpty(servicePassword))
        {
            error.WriteLine("ServiceRole__Username and ServiceRole__Password go together: set both, or neither.");
            return UsageError;
        }

        var connectionString = options.BuildConnectionString(configuredConnectionString);
        output.WriteLine($"Database: {options.Describe(configuredConnectionString)}");

        try
        {
            var result = command == "migrate"
                ? Migrate(connectionString, output)
                : await SeedAsync(connectionString, file, force, output, error, cancellationToken);
            if (result == Success && !string.IsNullOrWhiteSpace(serviceUser))
            {
                await ServiceRole.EnsureAsync(connectionString, serviceUser, servicePassword!, cancellationToken);
                output.WriteLine($"Service role {serviceUser}: may read and insert, nothing more ({ServiceRole.GroupRole}).");
            }

            return result;
        }
        catch (Exception ex) when (ex is DatabaseMigrationException or SqlScriptException or NpgsqlException or IOException)
        {
            error.WriteLine($"Failed: {ex.Message}");
            return Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("Cancelled; the load in progress was rolled back.");
            return Failure;
        }
    }

    private static int Migrate(string connectionString, TextWriter output)
    {
        output.WriteLine(DatabaseMigrator.Apply(connectionString, output.WriteLine).ToString());
        return Success;
    }

    private static async Task<int> SeedAsync(string connectionString, string? file, bool force, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var path = file ?? FindDefaultSeed();
        if (path is null)
        {
            error.WriteLine($"No seed file given and none found at {SeedRelativePath} next to the program or in the current directory or its parents; pass --file PATH.");
            return UsageError;
        }

        if (!File.Exists(path))
        {
            error.WriteLine($"Seed file not found: {Path.GetFullPath(path)}");
            return UsageError;
        }

        var outcome = await DatabaseSeeder.SeedAsync(connectionString, path, force ? SeedMode.Replace : SeedMode.IfEmpty, output.WriteLine, cancellationToken);
        if (outcome == SeedOutcome.KeptExistingData)
        {
            output.WriteLine("Use --force to replace the data.");
            return Success;
        }

        output.WriteLine("Done.");
        return Success;
    }

    /// <summary>The project's seed: shipped next to the program, or in the repository around the current directory.</summary>
    internal static string? FindDefaultSeed()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, SeedRelativePath);
        if (File.Exists(beside))
        {
            return beside;
        }

        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, SeedRelativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
