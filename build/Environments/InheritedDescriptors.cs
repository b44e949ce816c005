using System.Globalization;
using System.Runtime.InteropServices;

namespace Rates.Build.Environments;

/// <summary>
/// Keeps descriptors this build inherited (beyond stdin/out/err) out of the processes it starts. The local runtime leaves
/// PostgreSQL and the service running after the build exits; without this they would keep whatever the caller passed
/// down open for their whole life, e.g. a <c>flock</c> lock file (held until Down) or the pipe a CI runner reads the
/// build's output from (the CI step would never see end-of-file).
/// </summary>
internal static class InheritedDescriptors
{
    private const int FGetFd = 1;
    private const int FSetFd = 2;
    private const int FdCloexec = 1;
    private const uint CloseRangeCloexec = 4;

    /// <summary>Marks every descriptor above 2 close-on-exec (Linux; elsewhere nothing is changed).</summary>
    public static void KeepFromChildren()
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            // One call on Linux 5.11+ with glibc 2.34+.
            if (close_range(3, uint.MaxValue, CloseRangeCloexec) == 0)
                return;
        }
        catch (EntryPointNotFoundException)
        {
            // Older glibc: fall back to one fcntl per descriptor.
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) || fd <= 2)
                continue;
            var flags = fcntl(fd, FGetFd, 0);
            if (flags >= 0 && (flags & FdCloexec) == 0)
                _ = fcntl(fd, FSetFd, flags | FdCloexec);
        }
    }

    [DllImport("libc", EntryPoint = "close_range", SetLastError = true)]
    private static extern int close_range(uint first, uint last, uint flags);

    // fcntl is variadic in C; on Linux (x86-64 and arm64) an int third argument is passed like a fixed one.
    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int fcntl(int fd, int command, int argument);
}
