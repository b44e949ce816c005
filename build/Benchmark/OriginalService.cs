using System.Globalization;
using Rates.Build.Environments;
using Rates.EmbeddedPostgres;
using Rates.Processes;

namespace Rates.Build.Benchmark;

/// <summary>
/// The original Flask service (the <c>rates/</c> folder of a checkout of https://github.com/xeneta/operations-task), run
/// as it is deployed, <c>gunicorn -w 4 'rates:create_app()'</c>, on 127.0.0.1 against the environment's database (so
/// the same data and the same indexes), for the ratio "this service / original". Its <c>import config</c> finds the
/// build's own <c>config.py</c> (written into a temporary folder that comes first on gunicorn's Python path), whose values come
/// from the process environment: the password is in no file and on no command line. libpq takes the port from PGPORT.
/// </summary>
internal sealed class OriginalService : IAsyncDisposable
{
    public const int Workers = 4;
    public const string Repository = "https://github.com/xeneta/operations-task";
    public const string DebianPackages = "python3-flask gunicorn python3-psycopg2 python3-dotenv";

    /// <summary>How to measure it, for a report that did not.</summary>
    public const string HowToMeasure =
        $"clone {Repository}, `apt-get install {DebianPackages}` and pass `--benchmark-original-service <checkout>/rates`";

    private const string ConfigPy = """
        # Written by ./build.sh Benchmark: the original service's database settings, from the process environment.
        import os

        DB = {
            "name": os.environ["RATES_ORIGINAL_DB_NAME"],
            "user": os.environ["RATES_ORIGINAL_DB_USER"],
            "host": os.environ["RATES_ORIGINAL_DB_HOST"],
            "password": os.environ["RATES_ORIGINAL_DB_PASSWORD"],
        }

        """;

    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(30);

    private readonly BackgroundProcess _process;
    private readonly AbsolutePath _workDirectory;

    private OriginalService(BackgroundProcess process, AbsolutePath workDirectory, int port)
    {
        _process = process;
        _workDirectory = workDirectory;
        Url = new Uri(ServiceProbe.BaseUrl(port));
    }

    public Uri Url { get; }

    /// <summary>"gunicorn 20.1.0 (4 workers), Python 3.11.2, Flask 2.2.2, psycopg2 2.9.5": what ran, for the report.</summary>
    public string Description { get; private set; } = "";

    /// <exception cref="BuildFailedException">The folder is not the original's, gunicorn or a module is missing, or it did not answer.</exception>
    public static async Task<OriginalService> StartAsync(AbsolutePath directory, int dbPort, string database, string user, string password,
        string canonicalPathAndQuery, CancellationToken cancellationToken)
    {
        CheckCheckout(directory);
        var gunicorn = ExecutableSearch.FindOnPath("gunicorn")
            ?? throw new BuildFailedException($"--benchmark-original-service: gunicorn is not on PATH; install it and the original's modules: apt-get install {DebianPackages}.");
        var versions = await CheckModulesAsync(gunicorn, cancellationToken);

        // gunicorn puts each --pythonpath folder first on sys.path, in order, unless it is there already (its working
        // directory is): the last one given, the build's config.py, comes before the checkout's own config.py.
        var workDirectory = AbsolutePath.Create(Directory.CreateTempSubdirectory("rates-original-").FullName);
        var configDirectory = (workDirectory / "python").CreateDirectory();
        await File.WriteAllTextAsync(configDirectory / "config.py", ConfigPy, cancellationToken);
        var port = PostgresCluster.FindFreePort();
        var process = BackgroundProcess.Start(gunicorn,
        [
            "--workers", Workers.ToString(CultureInfo.InvariantCulture), "--bind", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--pythonpath", $"{directory},{configDirectory}", "--log-level", "warning", "rates:create_app()",
        ], new CommandSettings
        {
            WorkingDirectory = workDirectory,
            Environment = new Dictionary<string, string?>
            {
                ["PYTHONPATH"] = null,
                ["PYTHONDONTWRITEBYTECODE"] = "1", // nothing written into the checkout
                ["PGPORT"] = dbPort.ToString(CultureInfo.InvariantCulture),
                ["PGCONNECT_TIMEOUT"] = "10",
                ["RATES_ORIGINAL_DB_NAME"] = database,
                ["RATES_ORIGINAL_DB_USER"] = user,
                ["RATES_ORIGINAL_DB_HOST"] = "127.0.0.1",
                ["RATES_ORIGINAL_DB_PASSWORD"] = password,
            },
        });
        var service = new OriginalService(process, workDirectory, port) { Description = $"{versions}, {Workers} workers" };
        await service.WaitUntilAnsweringAsync(canonicalPathAndQuery, cancellationToken);
        return service;
    }

    /// <summary>Stops it (SIGTERM: gunicorn lets its workers finish) and checks that it exited cleanly.</summary>
    /// <exception cref="BuildFailedException">It had to be killed or exited with another code than 0; the message shows its last lines.</exception>
    public async Task StopAsync()
    {
        if (await _process.StopCleanlyAsync(s_stopTimeout) is { } problem)
            throw new BuildFailedException($"The original service did not stop cleanly: {problem}");
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _workDirectory.DeleteDirectory();
    }

    private static void CheckCheckout(AbsolutePath directory)
    {
        var rates = directory / "rates.py";
        if (directory.ToString().Contains(',', StringComparison.Ordinal))
            throw new BuildFailedException($"--benchmark-original-service: {directory} has a comma in its path, which gunicorn's --pythonpath cannot take; move the checkout.");
        if (!rates.FileExists || !File.ReadAllText(rates).Contains("def create_app(", StringComparison.Ordinal))
            throw new BuildFailedException($"--benchmark-original-service: {directory} has no rates.py with create_app(); give the rates/ folder " +
                                           $"of a checkout of {Repository} (git clone {Repository}; --benchmark-original-service operations-task/rates).");
    }

    /// <summary>The interpreter gunicorn runs on (its #! line) must have Flask and psycopg2; returns the versions.</summary>
    private static async Task<string> CheckModulesAsync(string gunicorn, CancellationToken cancellationToken)
    {
        var shebang = File.ReadLines(gunicorn).FirstOrDefault() ?? "";
        var python = shebang.StartsWith("#!", StringComparison.Ordinal) ? shebang[2..].Trim().Split(' ')[0] : "python3";
        const string script = "import sys, flask, psycopg2, gunicorn; " +
                              "print('gunicorn %s, Python %s, Flask %s, psycopg2 %s' % (gunicorn.__version__, sys.version.split()[0], flask.__version__, psycopg2.__version__.split()[0]))";
        var result = await CommandRunner.RunAsync(python, ["-c", script], cancellationToken: cancellationToken);
        if (!result.Succeeded)
            throw new BuildFailedException($"--benchmark-original-service: {python} (gunicorn's interpreter) cannot import what the original service needs " +
                                           $"({string.Join(" ", result.Tail(1))}); install: apt-get install {DebianPackages}.");
        return result.StandardOutput.Trim();
    }

    /// <summary>Until /rates answers 200 (all workers started, each connected); fails with its output when it dies or does not answer.</summary>
    private async Task WaitUntilAnsweringAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + s_readyTimeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                using var response = await client.GetAsync(new Uri(Url, pathAndQuery), cancellationToken);
                if (response.IsSuccessStatusCode)
                    return;
                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex.Message;
            }

            await Task.Delay(250, cancellationToken);
        }

        var failure = new BuildFailedException($"The original service did not answer GET {pathAndQuery} on {Url} ({last}): {_process.DescribeExit()}");
        await DisposeAsync();
        throw failure;
    }
}
