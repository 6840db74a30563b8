#!/usr/bin/env bash
# Build (or reuse) the control plane binaries from the pinned Go modules under
# e2e/tools/<tool>/ into $VODA_CACHE, keyed by the pins. Prints the directory
# with all binaries on its last line.
#   build-tools.sh [tool...]    default: all of etcd kubernetes kwok mpi-operator helm
# Env: VODA_CACHE, GOFLAGS/GOMODCACHE/GOCACHE as usual for go.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v go >/dev/null || die "go is not on PATH (Go >= 1.24 is needed; newer toolchains come from the Go module proxy)"
mkdir -p "$VODA_CACHE/tools"
# One build at a time per cache (other worktrees share it).
exec 9>"$VODA_CACHE/build.lock"
flock 9

want=("$@"); [ ${#want[@]} -eq 0 ] && want=("${TOOLS[@]}")
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false -mod=readonly"
total_start=$SECONDS
for t in "${want[@]}"; do
  [ -d "$TOOLS_SRC/$t" ] || die "unknown tool $t"
  dir="$(tool_dir "$t")"
  if [ -f "$dir/.complete" ]; then
    log "$t: reusing $dir"
    continue
  fi
  PKGS="" LDFLAGS="" OUT_NAME=""
  # shellcheck disable=SC1090,SC1091
  . "$TOOLS_SRC/$t/build.conf"
  log "$t: building $PKGS"
  start=$SECONDS
  tmp="$dir.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp"
  out="$tmp/"; [ -n "$OUT_NAME" ] && out="$tmp/$OUT_NAME"
  overlay=()
  if [ -f "$TOOLS_SRC/$t/overlay.sh" ]; then
    # A one-line source swap, applied with `go build -overlay` (see overlay.sh).
    OVERLAY_MODULE="" OVERLAY_FILE="" OVERLAY_SED="" OVERLAY_APPEND=""
    # shellcheck disable=SC1090,SC1091
    . "$TOOLS_SRC/$t/overlay.sh"
    moddir="$(cd "$TOOLS_SRC/$t" && go mod download -json "$OVERLAY_MODULE" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
    [ -f "$moddir/$OVERLAY_FILE" ] || die "$t: overlay source $OVERLAY_MODULE/$OVERLAY_FILE not found"
    sed "$OVERLAY_SED" "$moddir/$OVERLAY_FILE" > "$tmp/overlay.go"
    ! cmp -s "$moddir/$OVERLAY_FILE" "$tmp/overlay.go" || die "$t: overlay did not apply to $OVERLAY_FILE (upstream changed?)"
    printf '%s\n' "$OVERLAY_APPEND" >> "$tmp/overlay.go"
    printf '{"Replace":{"%s":"%s"}}\n' "$moddir/$OVERLAY_FILE" "$tmp/overlay.go" > "$tmp/overlay.json"
    overlay=(-overlay="$tmp/overlay.json")
  fi
  # shellcheck disable=SC2086
  if ! (cd "$TOOLS_SRC/$t" && go build -trimpath "${overlay[@]}" -ldflags="-s -w $LDFLAGS" -o "$out" $PKGS); then
    rm -rf "$tmp"
    die "$t: go build failed (module pins in $TOOLS_SRC/$t/go.mod)"
  fi
  (cd "$TOOLS_SRC/$t" && go list -m all) > "$tmp/modules.txt"
  echo "$((SECONDS - start))" > "$tmp/build-seconds"
  touch "$tmp/.complete"
  rm -rf "$dir"; mv "$tmp" "$dir"
  log "$t: built in $((SECONDS - start))s -> $dir"
done

# Assemble one directory of symlinks (only when all tools are there).
bdir="$(bin_dir)"
for t in "${TOOLS[@]}"; do
  [ -f "$(tool_dir "$t")/.complete" ] || { log "not all tools built yet; no bin dir"; exit 0; }
done
mkdir -p "$bdir"
for t in "${TOOLS[@]}"; do
  for f in "$(tool_dir "$t")"/*; do
    case "$(basename "$f")" in modules.txt|build-seconds|overlay.*) continue ;; esac
    ln -sfn "$f" "$bdir/$(basename "$f")"
  done
done
log "tools ready in $((SECONDS - total_start))s"
echo "$bdir"
