using System.Runtime.Versioning;

// The tests use shell scripts in place of PostgreSQL's tools, Unix file modes and symlinks: they run on Linux and macOS.
[assembly: UnsupportedOSPlatform("windows")]
