#!/usr/bin/env pwsh
# Compiles the build project (build/_build.csproj) when its inputs changed and runs it with all arguments: ./build.ps1 --help
# Works from any directory; uses the dotnet on PATH (SDK version pinned by global.json).
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$RootDir = $PSScriptRoot
$BuildProject = Join-Path $RootDir 'build/_build.csproj'
# The build runs from its own output folder so Compile/Test never overwrite the running binaries.
$TempDir = Join-Path $RootDir '.nuke/temp'
$BuildBin = Join-Path $TempDir 'build-bin'
$BuildLog = Join-Path $TempDir 'build-project.log'
# Fingerprint of the inputs the binaries in $BuildBin were compiled from (see build/build-inputs.txt).
$BuildStamp = Join-Path $TempDir 'build-bin.inputs'

$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
    Write-Error "'dotnet' was not found on PATH. Install the .NET SDK version named in $RootDir/global.json and retry."
    exit 1
}

# Files below a folder, without descending into bin/ and obj/.
function Get-InputFiles([string] $Directory) {
    foreach ($file in [System.IO.Directory]::GetFiles($Directory)) { $file }
    foreach ($child in [System.IO.Directory]::GetDirectories($Directory)) {
        if ([System.IO.Path]::GetFileName($child) -notin 'bin', 'obj') { Get-InputFiles $child }
    }
}

# Path and SHA-256 of every file under the paths of build/build-inputs.txt, in a fixed order; $null (a path gone)
# means "unknown": the build project is then compiled.
function Get-InputsFingerprint {
    $lines = [System.Collections.Generic.List[string]]::new()
    $paths = [System.IO.File]::ReadAllLines((Join-Path $RootDir 'build/build-inputs.txt')) |
        ForEach-Object { ($_ -replace '#.*$', '').Trim() } | Where-Object { $_ }
    foreach ($path in $paths) {
        $full = Join-Path $RootDir $path
        $files = if ([System.IO.File]::Exists($full)) { $full } elseif ([System.IO.Directory]::Exists($full)) { Get-InputFiles $full } else { return $null }
        foreach ($file in $files) {
            $relative = [System.IO.Path]::GetRelativePath($RootDir, $file).Replace('\', '/')
            $hash = [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData([System.IO.File]::ReadAllBytes($file)))
            $lines.Add("$relative $hash")
        }
    }
    $lines.Sort([System.StringComparer]::Ordinal)
    return "build.ps1`n" + ($lines -join "`n")
}

New-Item -ItemType Directory -Force -Path $TempDir | Out-Null
$Fingerprint = Get-InputsFingerprint
$Compiled = (Test-Path -LiteralPath (Join-Path $BuildBin '_build.dll')) -and (Test-Path -LiteralPath $BuildStamp)
if (-not $Fingerprint -or -not $Compiled -or $Fingerprint -cne [System.IO.File]::ReadAllText($BuildStamp)) {
    [Console]::Error.WriteLine('Compiling the build (build/_build.csproj)...')
    Remove-Item -LiteralPath $BuildStamp -Force -ErrorAction SilentlyContinue
    # Quiet unless it fails: then the whole compiler output is shown.
    & dotnet build $BuildProject -o $BuildBin -nologo -v quiet -clp:NoSummary /nodeReuse:false *> $BuildLog
    if ($LASTEXITCODE -ne 0) {
        Get-Content $BuildLog | Write-Host
        Write-Host "error: building $BuildProject failed (log: $BuildLog)."
        exit 1
    }
    # The fingerprint taken before compiling: a file edited during the compile is compiled on the next run.
    if ($Fingerprint) { [System.IO.File]::WriteAllText($BuildStamp, $Fingerprint) }
}

# Run from the caller's directory so relative path parameters mean what the caller typed;
# the build itself switches to the repository root.
& dotnet (Join-Path $BuildBin '_build.dll') @args
exit $LASTEXITCODE
