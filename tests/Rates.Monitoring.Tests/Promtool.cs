using Rates.Processes;

namespace Rates.Monitoring.Tests;

/// <summary>
/// promtool of Prometheus 2.42 (the version of the pinned prom/prometheus:v2.42.0 image), found in this order:
/// <c>PROMTOOL</c> (a path), <c>promtool</c> on PATH, one extracted earlier into artifacts/tools, one extracted now
/// from the distribution's <c>prometheus</c> package (<c>apt-get download</c>, no service installed or started), or
/// the pinned image when a Docker engine answers. Fails with what was tried when none of them works.
/// </summary>
public static class Promtool
{
    private const string Image = "prom/prometheus:v2.42.0";

    private static readonly Lazy<string[]> Command = new(Locate);

    private static string ToolsDirectory => Path.Combine(MonitoringFiles.Root, "artifacts", "tools", "prometheus");

    /// <summary>Runs promtool in deploy/monitoring with <paramref name="arguments"/> (paths relative to it).</summary>
    public static ProcessResult Run(params string[] arguments)
    {
        var command = Command.Value;
        return ProcessResult.Run(command[0], [.. command[1..], .. arguments], MonitoringFiles.Directory);
    }

    private static string[] Locate()
    {
        var tried = new List<string>();
        var fromEnvironment = Environment.GetEnvironmentVariable("PROMTOOL");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? [fromEnvironment]
                : throw new InvalidOperationException($"PROMTOOL={fromEnvironment} does not exist.");
        }

        if (Answers("promtool", tried))
        {
            return ["promtool"];
        }

        var extracted = Path.Combine(ToolsDirectory, "usr", "bin", "promtool");
        if (File.Exists(extracted) || ExtractFromPackage(tried))
        {
            return [extracted];
        }

        if (Answers("docker", tried, $"image inspect --format {{{{.Id}}}} {Image}"))
        {
            // The monitoring folder is mounted at the same path, so relative paths work alike.
            var directory = MonitoringFiles.Directory;
            return ["docker", "run", "--rm", "-v", $"{directory}:{directory}:ro", "-w", directory, "--entrypoint", "/bin/promtool", Image];
        }

        throw new InvalidOperationException(
            "promtool is needed to check and test the Prometheus rules, and none could be found or installed. Tried: " +
            string.Join("; ", tried) + ". Install Debian's 'prometheus' package, set PROMTOOL to a promtool 2.42 binary, " +
            $"or start a Docker engine that has {Image}.");
    }

    private static bool Answers(string tool, List<string> tried, string arguments = "--version")
    {
        try
        {
            var result = ProcessResult.Run(tool, arguments.Split(' '), MonitoringFiles.Root);
            if (result.ExitCode == 0)
            {
                return true;
            }

            tried.Add($"'{tool} {arguments}' exited with {result.ExitCode}");
        }
        catch (CommandStartException)
        {
            tried.Add($"{tool} is not on PATH");
        }

        return false;
    }

    /// <summary>apt-get download prometheus (after apt-get update when the package lists are empty), then dpkg-deb -x.</summary>
    private static bool ExtractFromPackage(List<string> tried)
    {
        if (!Answers("apt-get", tried) || !Answers("dpkg-deb", tried))
        {
            return false;
        }

        var download = Path.Combine(Path.GetTempPath(), $"rates-promtool-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(download);
        try
        {
            var fetched = ProcessResult.Run("apt-get", ["download", "prometheus"], download);
            if (fetched.ExitCode != 0 && Environment.UserName == "root")
            {
                var update = ProcessResult.Run("apt-get", ["update", "-qq"], download);
                fetched = update.ExitCode == 0 ? ProcessResult.Run("apt-get", ["download", "prometheus"], download) : update;
            }

            var package = System.IO.Directory.GetFiles(download, "prometheus_*.deb").FirstOrDefault();
            if (fetched.ExitCode != 0 || package is null)
            {
                tried.Add($"apt-get download prometheus failed: {fetched.Output.Trim()}");
                return false;
            }

            // Extracted beside, then moved into place, so a concurrent run never sees half a tree.
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(ToolsDirectory)!);
            var staging = ToolsDirectory + "." + Guid.NewGuid().ToString("N");
            var unpacked = ProcessResult.Run("dpkg-deb", ["-x", package, staging], download);
            if (unpacked.ExitCode != 0)
            {
                tried.Add($"dpkg-deb -x failed: {unpacked.Output.Trim()}");
                if (System.IO.Directory.Exists(staging))
                {
                    System.IO.Directory.Delete(staging, recursive: true);
                }

                return false;
            }

            try
            {
                System.IO.Directory.Move(staging, ToolsDirectory);
            }
            catch (IOException) when (File.Exists(Path.Combine(ToolsDirectory, "usr", "bin", "promtool")))
            {
                System.IO.Directory.Delete(staging, recursive: true);
            }

            return true;
        }
        finally
        {
            System.IO.Directory.Delete(download, recursive: true);
        }
    }
}

/// <summary>A finished command: its exit code and its output (both streams, in the order they came).</summary>
public sealed record ProcessResult(int ExitCode, string Output)
{
    /// <exception cref="CommandStartException">The program is not there.</exception>
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string workingDirectory)
    {
        var result = CommandRunner.RunAsync(fileName, [.. arguments], new CommandSettings { WorkingDirectory = workingDirectory })
            .GetAwaiter().GetResult();
        return new ProcessResult(result.ExitCode, string.Join('\n', result.Lines));
    }
}
