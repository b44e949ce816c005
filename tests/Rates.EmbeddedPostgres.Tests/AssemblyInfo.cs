using System.Runtime.Versioning;

// The tests use shell scripts in place of PostgreSQL's tools, Unix file modes and symlinks, so they do not run on Windows.
[assembly: UnsupportedOSPlatform("windows")]
