#!/usr/bin/env bash
# Builds the build project (build/_build.csproj) and runs it with all arguments: ./build.sh --help
# Works from any directory; uses the dotnet on PATH (SDK version pinned by global.json).
set -euo pipefail

# Bash-only path handling: the script must still explain itself when PATH lacks even coreutils.
case "${BASH_SOURCE[0]}" in
  */*) ROOT_DIR="$(cd "${BASH_SOURCE[0]%/*}" && pwd)" ;;
  *) ROOT_DIR="$(pwd)" ;;
esac
BUILD_PROJECT="$ROOT_DIR/build/_build.csproj"
# The build runs from its own output folder so Compile/Test never overwrite the running binaries.
BUILD_BIN="$ROOT_DIR/.nuke/temp/build-bin"
BUILD_LOG="$ROOT_DIR/.nuke/temp/build-project.log"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: 'dotnet' was not found on PATH. Install the .NET SDK version named in $ROOT_DIR/global.json and retry." >&2
  exit 1
fi

mkdir -p "$ROOT_DIR/.nuke/temp"
# Quiet unless it fails: then the whole compiler output is shown.
if ! dotnet build "$BUILD_PROJECT" -o "$BUILD_BIN" -nologo -v quiet -clp:NoSummary /nodeReuse:false >"$BUILD_LOG" 2>&1; then
  cat "$BUILD_LOG" >&2
  echo "error: building $BUILD_PROJECT failed (log: $BUILD_LOG)." >&2
  exit 1
fi

# Run from the caller's directory so relative path parameters mean what the caller typed;
# the build itself switches to the repository root.
exec dotnet "$BUILD_BIN/_build.dll" "$@"
