using System.Globalization;
using System.Text.RegularExpressions;

namespace Rates.Build.Environments;

/// <summary>Whether a Docker engine answered <c>docker info</c>, and what it said.</summary>
internal sealed record DockerEngine(bool Reachable, string Detail)
{
    public string NotReachableMessage =>
        $"Docker engine not reachable: `docker info` failed: {Detail}; start Docker or use --runtime local.";
}

/// <summary>A host port that Docker publishes for a container port.</summary>
internal sealed record PublishedPort(string HostIp, int HostPort, int ContainerPort);

/// <summary>One container of a compose project, as <c>docker ps</c> shows it (Compose v1 and v2 set the same labels).</summary>
internal sealed partial record ComposeContainer(
    string Id, string Name, string Project, string Service, bool OneOff, string State, string Status, IReadOnlyList<PublishedPort> Ports)
{
    /// <summary>The <c>docker ps --format</c> template that <see cref="Parse"/> reads: tab-separated fields.</summary>
    public const string Format =
        "{{.ID}}\t{{.Names}}\t{{.Label \"com.docker.compose.project\"}}\t{{.Label \"com.docker.compose.service\"}}\t" +
        "{{.Label \"com.docker.compose.oneoff\"}}\t{{.State}}\t{{.Status}}\t{{.Ports}}";

    public bool IsRunning => State == "running";

    /// <summary>healthy, unhealthy, starting, or none (no healthcheck), read from the status text ("Up 5 minutes (healthy)").</summary>
    public string Health =>
        Status.Contains("(healthy)", StringComparison.Ordinal) ? "healthy"
        : Status.Contains("(unhealthy)", StringComparison.Ordinal) ? "unhealthy"
        : Status.Contains("(health: starting)", StringComparison.Ordinal) ? "starting"
        : "none";

    /// <summary>The host port published for <paramref name="containerPort"/>, or null.</summary>
    public int? HostPortFor(int containerPort) => Ports.FirstOrDefault(p => p.ContainerPort == containerPort)?.HostPort;

    /// <summary>Reads one line printed with <see cref="Format"/>; null for a line that does not have its fields.</summary>
    public static ComposeContainer? Parse(string line)
    {
        var fields = line.Split('\t');
        if (fields.Length < 8)
            return null;
        var ports = PortPattern().Matches(fields[7])
            .Select(m => new PublishedPort(m.Groups["ip"].Value,
                int.Parse(m.Groups["host"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["container"].Value, CultureInfo.InvariantCulture)))
            .DistinctBy(p => (p.HostPort, p.ContainerPort))
            .ToList();
        return new ComposeContainer(fields[0], fields[1], fields[2], fields[3],
            string.Equals(fields[4], "true", StringComparison.OrdinalIgnoreCase), fields[5], fields[6], ports);
    }

    // "127.0.0.1:5432->5432/tcp", "0.0.0.0:3000->3000/tcp, :::3000->3000/tcp"
    [GeneratedRegex(@"(?<ip>[0-9.]*|\[?[0-9a-fA-F:]*\]?):(?<host>[0-9]+)->(?<container>[0-9]+)/tcp")]
    private static partial Regex PortPattern();
}

/// <summary>The Docker CLI as the environment targets use it; queries are silent, changes are echoed.</summary>
internal sealed class DockerCli(ProcessRunner processes, CancellationToken cancellationToken)
{
    public const string ComposeProjectLabel = "com.docker.compose.project";

    /// <summary>"Answers quickly": an engine that needs longer than this is treated as absent by --runtime auto.</summary>
    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(10);

    private DockerEngine? _engine;

    /// <summary>Asks <c>docker info</c> once per run.</summary>
    public async Task<DockerEngine> ProbeAsync()
    {
        if (_engine is not null)
            return _engine;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_probeTimeout);
        try
        {
            var result = await processes.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"],
                new ProcessOptions { Echo = false, CheckExitCode = false }, timeout.Token);
            var answer = string.Join(' ', result.Output.Select(l => l.Trim()).Where(l => l.Length > 0));
            _engine = result.ExitCode == 0 && result.StandardOutput.Trim().Length > 0
                ? new DockerEngine(true, $"engine {result.StandardOutput.Trim()}")
                : new DockerEngine(false, answer.Length > 0 ? Shorten(answer) : $"exit code {result.ExitCode}");
        }
        catch (ProcessFailedException ex) when (ex.ExitCode is null)
        {
            _engine = new DockerEngine(false, "the docker command is not installed");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _engine = new DockerEngine(false, $"no answer within {s_probeTimeout.TotalSeconds:0} s");
        }

        return _engine;
    }

    /// <exception cref="BuildFailedException">No engine answers.</exception>
    public async Task EnsureEngineAsync()
    {
        var engine = await ProbeAsync();
        if (!engine.Reachable)
            throw new BuildFailedException(engine.NotReachableMessage);
    }

    /// <summary>Containers of <paramref name="project"/> (every rates-* project when null), stopped ones too when <paramref name="all"/>.</summary>
    public async Task<IReadOnlyList<ComposeContainer>> ListContainersAsync(string? project, bool all = true)
    {
        var filter = project is null ? ComposeProjectLabel : $"{ComposeProjectLabel}={project}";
        var arguments = new List<string> { "ps", "--no-trunc", "--filter", $"label={filter}", "--format", ComposeContainer.Format };
        if (all)
            arguments.Insert(1, "-a");
        var result = await QueryAsync(arguments);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(ComposeContainer.Parse)
            .OfType<ComposeContainer>()
            .ToList();
    }

    /// <summary>Named volumes that Compose created for <paramref name="project"/> (the database's data).</summary>
    public async Task<IReadOnlyList<string>> ListVolumesAsync(string project)
    {
        var result = await QueryAsync(["volume", "ls", "-q", "--filter", $"label={ComposeProjectLabel}={project}"]);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public async Task<bool> ImageExistsAsync(string image)
    {
        var result = await processes.RunAsync("docker", ["image", "inspect", "--format", "{{.Id}}", image],
            new ProcessOptions { Echo = false, CheckExitCode = false }, cancellationToken);
        return result.ExitCode == 0;
    }

    /// <param name="evenWhenCancelled">For clean-up after a failure or Ctrl+C: runs even when the build was cancelled.</param>
    public Task<ProcessResult> RunAsync(IEnumerable<string> arguments, ProcessOptions? options = null, bool evenWhenCancelled = false) =>
        processes.RunAsync("docker", arguments, options, evenWhenCancelled ? CancellationToken.None : cancellationToken);

    private Task<ProcessResult> QueryAsync(IEnumerable<string> arguments) =>
        processes.RunAsync("docker", arguments, new ProcessOptions { Echo = false }, cancellationToken);

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";
}

/// <summary>
/// <c>docker compose -p rates-&lt;env&gt; -f compose.yaml ...</c> with the environment's settings passed as environment
/// variables (never on the command line) and the password masked in everything echoed.
/// </summary>
/// <param name="secrets">Values masked in everything echoed or logged.</param>
internal sealed class ComposeProject(DockerCli docker, AbsolutePath composeFile, string project, IReadOnlyDictionary<string, string?> variables,
    IReadOnlyList<string> secrets, IReadOnlyList<AbsolutePath>? moreComposeFiles = null)
{
    public string Name { get; } = project;

    /// <summary>The variables compose.yaml reads; see .env.example.</summary>
    public static IReadOnlyDictionary<string, string?> Variables(EnvironmentSecrets? secrets, int? apiPort, int? dbPort, string? dbImage, string? apiImage)
    {
        // Down and logs need no real secret, but compose.yaml insists the variables are set.
        secrets ??= EnvironmentSecrets.Unused;
        var variables = new Dictionary<string, string?>
        {
            ["RATES_DB_PASSWORD"] = secrets.OwnerPassword,
            ["RATES_DB_NAME"] = LocalEnvironment.DatabaseName,
            ["RATES_DB_USER"] = LocalEnvironment.DatabaseUser,
            ["RATES_SERVICE_USER"] = EnvironmentSecrets.ServiceUser,
            ["RATES_SERVICE_PASSWORD"] = secrets.ServicePassword,
            ["RATES_API_KEY_SHA256"] = secrets.ApiKeyHash,
        };
        if (apiPort is not null)
            variables["RATES_API_PORT"] = apiPort.Value.ToString(CultureInfo.InvariantCulture);
        if (dbPort is not null)
            variables["RATES_DB_PORT"] = dbPort.Value.ToString(CultureInfo.InvariantCulture);
        if (dbImage is not null)
            variables["RATES_DB_IMAGE"] = dbImage;
        if (apiImage is not null)
            variables["RATES_API_IMAGE"] = apiImage;
        return variables;
    }

    public Task<ProcessResult> RunAsync(IEnumerable<string> arguments, bool echo = true, bool checkExitCode = true, bool evenWhenCancelled = false) =>
        docker.RunAsync(["compose", "-p", Name, "-f", composeFile, .. (moreComposeFiles ?? []).SelectMany(f => new[] { "-f", (string)f }), .. arguments], new ProcessOptions
        {
            Environment = variables,
            Secrets = secrets,
            Echo = echo,
            CheckExitCode = checkExitCode,
        }, evenWhenCancelled);

    /// <summary>The last lines each of <paramref name="services"/> logged, for failure messages; never throws.</summary>
    public async Task<string> LogsTailAsync(int lines, params string[] services)
    {
        try
        {
            var result = await RunAsync(["logs", "--no-color", "--tail", lines.ToString(CultureInfo.InvariantCulture), .. services],
                echo: false, checkExitCode: false, evenWhenCancelled: true);
            // Compose v1 starts its output with "Attaching to ..."; only the services' own lines matter.
            var text = string.Join('\n', result.Output
                .Where(l => l.Trim().Length > 0 && !l.StartsWith("Attaching to", StringComparison.Ordinal))
                .TakeLast(lines * services.Length));
            foreach (var secret in secrets.Where(s => s.Length > 0))
                text = text.Replace(secret, "****", StringComparison.Ordinal);
            return text.Length == 0 ? "(no log output)" : text;
        }
        catch (Exception ex) when (ex is ProcessFailedException or InvalidOperationException)
        {
            return $"(could not read the logs: {ex.Message})";
        }
    }
}
