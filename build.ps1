#!/usr/bin/env pwsh
# Builds the build project (build/_build.csproj) and runs it with all arguments: ./build.ps1 --help
# Works from any directory; uses the dotnet on PATH (SDK version pinned by global.json).
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$RootDir = $PSScriptRoot
$BuildProject = Join-Path $RootDir 'build/_build.csproj'
# The build runs from its own output folder so Compile/Test never overwrite the running binaries.
$TempDir = Join-Path $RootDir '.nuke/temp'
$BuildBin = Join-Path $TempDir 'build-bin'
$BuildLog = Join-Path $TempDir 'build-project.log'

$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
    Write-Error "'dotnet' was not found on PATH. Install the .NET SDK version named in $RootDir/global.json and retry."
    exit 1
}

New-Item -ItemType Directory -Force -Path $TempDir | Out-Null
# Quiet unless it fails: then the whole compiler output is shown.
& dotnet build $BuildProject -o $BuildBin -nologo -v quiet -clp:NoSummary /nodeReuse:false *> $BuildLog
if ($LASTEXITCODE -ne 0) {
    Get-Content $BuildLog | Write-Host
    Write-Host "error: building $BuildProject failed (log: $BuildLog)."
    exit 1
}

# Run from the caller's directory so relative path parameters mean what the caller typed;
# the build itself switches to the repository root.
& dotnet (Join-Path $BuildBin '_build.dll') @args
exit $LASTEXITCODE
