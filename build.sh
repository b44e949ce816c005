#!/usr/bin/env bash
# Compiles the build project (build/_build.csproj) when its inputs changed and runs it with all arguments: ./build.sh --help
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
# Fingerprint of the inputs the binaries in BUILD_BIN were compiled from (see build/build-inputs.txt).
BUILD_STAMP="$ROOT_DIR/.nuke/temp/build-bin.inputs"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: 'dotnet' was not found on PATH. Install the .NET SDK version named in $ROOT_DIR/global.json and retry." >&2
  exit 1
fi

# Path, CRC and size of every file under the paths of build/build-inputs.txt, in a fixed order. Printing nothing
# (a tool missing, a path gone) means "unknown": the build project is then compiled.
inputs_fingerprint() {
  local paths=() line
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%%#*}"
    line="${line//[[:space:]]/}"
    [ -n "$line" ] && paths+=("$line")
  done <"$ROOT_DIR/build/build-inputs.txt"
  echo "build.sh"
  cd "$ROOT_DIR" && find "${paths[@]}" \( -name bin -o -name obj \) -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 cksum
}

mkdir -p "$ROOT_DIR/.nuke/temp"
fingerprint="$(inputs_fingerprint 2>/dev/null)" || fingerprint=""
if [ -z "$fingerprint" ] || [ ! -f "$BUILD_BIN/_build.dll" ] || [ ! -f "$BUILD_STAMP" ] || [ "$fingerprint" != "$(<"$BUILD_STAMP")" ]; then
  echo "Compiling the build (build/_build.csproj)..." >&2
  rm -f "$BUILD_STAMP"
  # Quiet unless it fails: then the whole compiler output is shown.
  if ! dotnet build "$BUILD_PROJECT" -o "$BUILD_BIN" -nologo -v quiet -clp:NoSummary /nodeReuse:false >"$BUILD_LOG" 2>&1; then
    cat "$BUILD_LOG" >&2
    echo "error: building $BUILD_PROJECT failed (log: $BUILD_LOG)." >&2
    exit 1
  fi
  # The fingerprint taken before compiling: a file edited during the compile is compiled on the next run.
  [ -z "$fingerprint" ] || printf '%s' "$fingerprint" >"$BUILD_STAMP"
fi

# Run from the caller's directory so relative path parameters mean what the caller typed;
# the build itself switches to the repository root.
exec dotnet "$BUILD_BIN/_build.dll" "$@"
