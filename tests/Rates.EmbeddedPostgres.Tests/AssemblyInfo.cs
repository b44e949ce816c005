using System.Runtime.Versioning;

// The tests use shell-script stand-ins, Unix file modes and symlinks; the project's machines are Linux.
[assembly: UnsupportedOSPlatform("windows")]
