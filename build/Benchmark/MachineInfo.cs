using System.Globalization;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;

namespace Rates.Build.Benchmark;

/// <summary>The machine the benchmark ran on, as far as the build process can tell.</summary>
internal sealed record MachineInfo(int Cores, string? CpuModel, long? MemoryBytes, string OperatingSystem, string DotNet)
{
    public static MachineInfo Read() => new(
        Environment.ProcessorCount,
        ReadProcField("/proc/cpuinfo", "model name"),
        ReadMemTotal(),
        DescribeOperatingSystem(),
        RuntimeInformation.FrameworkDescription);

    /// <summary>The 1, 5 and 15-minute load averages (/proc/loadavg), e.g. "1.20, 0.85, 0.60"; "unknown" elsewhere.</summary>
    public static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{fields[0]}, {fields[1]}, {fields[2]} (1, 5, 15 min)";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return "unknown";
        }
    }

    public string CpuText => CpuModel is null
        ? $"{Cores} logical cores"
        : $"{Cores} logical cores ({CpuModel})";

    public string MemoryText => MemoryBytes is { } bytes
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.0} GiB")
        : "unknown";

    /// <summary>"Debian GNU/Linux 12 (bookworm), kernel 6.1.0-18-amd64, x64" on Linux; the runtime's description elsewhere.</summary>
    private static string DescribeOperatingSystem()
    {
        var architecture = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant();
        if (!System.OperatingSystem.IsLinux())
            return $"{RuntimeInformation.OSDescription}, {architecture}";
        var distribution = ReadOsRelease("PRETTY_NAME") ?? "Linux";
        var kernel = Environment.OSVersion.Version.ToString();
        try
        {
            kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            // The runtime's version number is close enough.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return $"{distribution}, kernel {kernel}, {architecture}";
    }

    private static string? ReadOsRelease(string key)
    {
        foreach (var path in new[] { "/etc/os-release", "/usr/lib/os-release" })
        {
            if (!File.Exists(path))
                continue;
            var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key + "=", StringComparison.Ordinal));
            if (line is not null)
                return line[(key.Length + 1)..].Trim('"');
        }

        return null;
    }

    /// <summary>The value of the first "<paramref name="key"/> : value" line of a /proc file.</summary>
    private static string? ReadProcField(string path, string key)
    {
        try
        {
            if (!File.Exists(path))
                return null;
            var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal) && l.Contains(':', StringComparison.Ordinal));
            return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static long? ReadMemTotal()
    {
        // "MemTotal:       24567890 kB"
        var value = ReadProcField("/proc/meminfo", "MemTotal");
        if (value is not null && long.TryParse(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture, out var kilobytes))
            return kilobytes * 1024;
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return available > 0 ? available : null;
    }
}

/// <summary>Whether an assembly was compiled with optimizations (Release) or without (Debug).</summary>
internal static class AssemblyOptimization
{
    /// <summary>
    /// "Release" when the JIT may optimize <paramref name="assemblyPath"/>, "Debug" when its DebuggableAttribute
    /// disables optimizations (what <c>-c Debug</c> produces), null when it cannot be read.
    /// </summary>
    public static string? ConfigurationOf(string assemblyPath)
    {
        try
        {
            using var stream = File.OpenRead(assemblyPath);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata)
                return null;
            var metadata = pe.GetMetadataReader();
            foreach (var handle in metadata.GetAssemblyDefinition().GetCustomAttributes())
            {
                var attribute = metadata.GetCustomAttribute(handle);
                if (attribute.Constructor.Kind != HandleKind.MemberReference)
                    continue;
                var constructor = metadata.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
                if (constructor.Parent.Kind != HandleKind.TypeReference
                    || metadata.GetString(metadata.GetTypeReference((TypeReferenceHandle)constructor.Parent).Name) != "DebuggableAttribute")
                    continue;

                // Value blob: prolog 0x0001, then the constructor's arguments: DebuggingModes (int32), or (bool, bool)
                // where the second is isJITOptimizerDisabled.
                var blob = metadata.GetBlobReader(attribute.Value);
                if (blob.ReadUInt16() != 1)
                    return null;
                const int disableOptimizations = 0x100;
                bool optimizationsDisabled;
                if (blob.Length >= 8)
                {
                    optimizationsDisabled = (blob.ReadInt32() & disableOptimizations) != 0;
                }
                else
                {
                    blob.ReadBoolean(); // isJITTrackingEnabled
                    optimizationsDisabled = blob.ReadBoolean();
                }

                return optimizationsDisabled ? "Debug" : "Release";
            }

            // No DebuggableAttribute at all: nothing disables the optimizer.
            return "Release";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException)
        {
            return null;
        }
    }
}
