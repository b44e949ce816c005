using System.Diagnostics;
using System.Globalization;
using Rates.EmbeddedPostgres;
using Rates.Processes;

namespace Rates.Build.Environments;

/// <summary>The local runtime's service process: started detached, found again by its pid file, stopped by signal.</summary>
internal sealed partial class LocalEnvironment
{
    private async Task<int> StartApiAsync(UpPlan plan, AbsolutePath publishedApi, string pgBin)
    {
        var store = plan.Store;
        // A private copy: publishing again (or another environment's Up) never changes the files of a running service.
        store.ApiDirectory.CreateOrCleanDirectory();
        CopyDirectory(publishedApi, store.ApiDirectory);
        if (!PostgresCluster.IsPortFree(plan.ApiPort))
            throw new BuildFailedException($"API port: {PortAllocator.InUseMessage(plan.ApiPort)}.");
        var logOffset = store.ApiLog.FileExists ? new FileInfo(store.ApiLog).Length : 0;
        if (File.Exists(store.ApiPidFile))
            File.Delete(store.ApiPidFile);

        // setsid detaches the service from the build's session (it outlives the build and Ctrl+C in its terminal);
        // the shell records its pid, then becomes the service with the output going to api.log.
        const string script = "echo $$ > \"$1\"; exec \"$2\" \"$3\" >> \"$4\" 2>&1 < /dev/null";
        var detach = ExecutableSearch.FindOnPath("setsid") is not null ? "setsid" : "nohup";
        List<string> arguments = detach == "setsid" ? ["-f"] : [];
        arguments.AddRange(["/bin/sh", "-c", script, "sh", store.ApiPidFile, DotNetHost(), store.ApiDirectory / ApiAssembly, store.ApiLog]);
        // Configured only through the environment (the API's keys), nothing on the command line. The service signs in as
        // the service role, never as the owner, and knows the writers' key by its hash only.
        var environment = new Dictionary<string, string?>(plan.Secrets.ServiceSettings())
        {
            ["ConnectionStrings__Rates"] = null,
            ["Database__Host"] = "127.0.0.1",
            ["Database__Port"] = plan.DbPort.ToString(CultureInfo.InvariantCulture),
            ["Database__Name"] = DatabaseName,
            ["Service__Port"] = plan.ApiPort.ToString(CultureInfo.InvariantCulture),
            ["Service__ListenAddress"] = "127.0.0.1",
        };

        console.WriteLine($"Starting the service on http://127.0.0.1:{plan.ApiPort} (log {store.ApiLog})");
        await processes.RunAsync(detach, arguments, new ProcessOptions
        {
            WorkingDirectory = store.ApiDirectory,
            Environment = environment,
            Secrets = plan.Secrets.All,
            Echo = false,
        }, cancellationToken);

        var pid = await WaitForPidFileAsync(store.ApiPidFile)
            ?? throw new BuildFailedException($"The service did not start: no pid in {store.ApiPidFile}. Log: {ReadTail(store.ApiLog, logOffset)}");
        store.Save(NewState(plan, pgBin, pid)); // Down finds the process even if this run stops here
        console.WriteLine($"The service runs as pid {pid}; waiting for /health/ready...");

        var answer = await ServiceProbe.WaitUntilReadyAsync(plan.ApiPort, s_readyTimeout, () => IsAlive(pid), cancellationToken);
        if (answer.Ready)
            return pid;

        var exited = !IsAlive(pid);
        if (!exited)
            await StopApiAsync(pid);
        throw new BuildFailedException(
            (exited ? "The service exited" : $"The service did not become ready ({answer.Detail} on {ServiceProbe.BaseUrl(plan.ApiPort)}/health/ready)") + ". " +
            $"Last lines of {store.ApiLog}:{Environment.NewLine}{ReadTail(store.ApiLog, logOffset)}");
    }

    private async Task StopApiAsync(int pid)
    {
        console.WriteLine($"Stopping the service (pid {pid}, SIGTERM; waiting up to {s_stopTimeout.TotalSeconds:0} s while it drains requests)");
        await SignalAndWaitAsync(pid, "TERM", "The service");
    }

    private async Task SignalAndWaitAsync(int pid, string signal, string what)
    {
        await processes.RunAsync("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)],
            new ProcessOptions { Echo = false, CheckExitCode = false }, CancellationToken.None);
        var deadline = DateTime.UtcNow + s_stopTimeout;
        while (IsAlive(pid) && DateTime.UtcNow < deadline)
            await Task.Delay(200, CancellationToken.None);
        if (!IsAlive(pid))
            return;
        console.WriteLine($"{what} (pid {pid}) did not stop within {s_stopTimeout.TotalSeconds:0} s; killing it.");
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
        catch (ArgumentException)
        {
            // Exited meanwhile.
        }
    }

    private static async Task<int?> WaitForPidFileAsync(AbsolutePath file)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (ReadFirstInt(file) is { } pid)
                return pid;
            await Task.Delay(100);
        }

        return null;
    }

    internal static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The pid runs this environment's copy of the service (not a recycled pid of something else).</summary>
    private static bool IsApiProcess(int pid, EnvironmentStore store)
    {
        if (!IsAlive(pid))
            return false;
        var commandLine = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline";
        if (!File.Exists(commandLine))
            return true; // no /proc (macOS): the pid file is all there is
        try
        {
            return File.ReadAllText(commandLine).Replace('\0', ' ').Contains(store.ApiDirectory / ApiAssembly, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int? ReadFirstInt(AbsolutePath file)
    {
        try
        {
            return file.FileExists && int.TryParse(File.ReadLines(file).FirstOrDefault()?.Trim(), CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string ReadTail(AbsolutePath file, long offset)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
            // A crash ends with a long stack trace; its first lines say what happened, so show from there.
            var crash = lines.FindLastIndex(l => l.Contains("Unhandled exception", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal));
            var shown = crash >= 0 ? lines.Skip(crash).Take(LogTailLines / 3).ToList() : lines.TakeLast(LogTailLines).ToList();
            return shown.Count == 0 ? "  (empty)" : string.Join(Environment.NewLine, shown.Select(l => "  " + l));
        }
        catch (IOException)
        {
            return "  (no log)";
        }
    }

    /// <summary>The dotnet host running this build, so the service runs on the same installation.</summary>
    private static string DotNetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private static void CopyDirectory(string source, string target)
    {
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)), overwrite: true);
    }
}
