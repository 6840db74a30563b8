#!/usr/bin/env bash
# Build (or reuse) the control plane binaries from the pinned Go modules under
# e2e/tools/<tool>/ into $VODA_CACHE, keyed by the pins. Prints the directory
# with all binaries on its last line.
#   build-tools.sh [tool...]    default: all of etcd kubernetes kwok mpi-operator helm
# Env: VODA_CACHE, GOFLAGS/GOMODCACHE/GOCACHE as usual for go.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_cmds flock:util-linux sha256sum:coreutils
command -v go >/dev/null || die "go is not on PATH (Go >= 1.24 is needed; newer toolchains come from the Go module proxy)"
mkdir -p "$VODA_CACHE/tools"
want=("$@"); [ ${#want[@]} -eq 0 ] && want=("${TOOLS[@]}")
all_built() { local t; for t in "$@"; do [ -f "$(tool_dir "$t")/.complete" ] || return 1; done; }
# One build at a time per cache (other worktrees share it); no lock when
# everything is built already.
if ! all_built "${want[@]}"; then
  exec 9>"$VODA_CACHE/build.lock"
  flock 9
fi
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
  modfile=()
  if [ -f "$TOOLS_SRC/$t/patch.sh" ]; then
    # A small source change (see patch.sh): patch a copy of the module and
    # build with a temporary go.mod that replaces the module by the copy. Its
    # go.mod is the module's own, so every dependency version stays the same.
    PATCH_MODULE="" PATCH_FILE="" PATCH_SED="" PATCH_APPEND=""
    # shellcheck disable=SC1090,SC1091
    . "$TOOLS_SRC/$t/patch.sh"
    moddir="$(tool_module_dir "$t" "$PATCH_MODULE")"
    [ -f "$moddir/$PATCH_FILE" ] || die "$t: $PATCH_MODULE/$PATCH_FILE not found"
    cp -r "$moddir" "$tmp/src"; chmod -R u+w "$tmp/src"
    sed "$PATCH_SED" "$moddir/$PATCH_FILE" > "$tmp/src/$PATCH_FILE"
    ! cmp -s "$moddir/$PATCH_FILE" "$tmp/src/$PATCH_FILE" || die "$t: the patch did not apply to $PATCH_FILE (upstream changed?)"
    printf '%s\n' "$PATCH_APPEND" >> "$tmp/src/$PATCH_FILE"
    cp "$TOOLS_SRC/$t/go.mod" "$tmp/build.mod"; cp "$TOOLS_SRC/$t/go.sum" "$tmp/build.sum"
    printf '\nreplace %s => %s\n' "$PATCH_MODULE" "$tmp/src" >> "$tmp/build.mod"
    modfile=(-modfile="$tmp/build.mod")
  fi
  # shellcheck disable=SC2086
  if ! (cd "$TOOLS_SRC/$t" && go build -trimpath "${modfile[@]}" -ldflags="-s -w $LDFLAGS" -o "$out" $PKGS); then
    rm -rf "$tmp"
    die "$t: go build failed (module pins in $TOOLS_SRC/$t/go.mod)"
  fi
  (cd "$TOOLS_SRC/$t" && go list "${modfile[@]}" -m all) > "$tmp/modules.txt"
  if [ ${#modfile[@]} -gt 0 ]; then
    diff -u "$moddir/$PATCH_FILE" "$tmp/src/$PATCH_FILE" > "$tmp/patch.diff" || true
    rm -rf "$tmp/src" "$tmp/build.mod" "$tmp/build.sum"
  fi
  echo "$((SECONDS - start))" > "$tmp/build-seconds"
  touch "$tmp/.complete"
  rm -rf "$dir"; mv "$tmp" "$dir"
  log "$t: built in $((SECONDS - start))s -> $dir"
done

# Assemble one directory of symlinks (only when all tools are there).
bdir="$(bin_dir)"
all_built "${TOOLS[@]}" || { log "not all tools built yet; no bin dir"; exit 0; }
mkdir -p "$bdir"
for t in "${TOOLS[@]}"; do
  for f in "$(tool_dir "$t")"/*; do
    case "$(basename "$f")" in modules.txt|build-seconds|patch.diff) continue ;; esac
    ln -sfn "$f" "$bdir/$(basename "$f")"
  done
done
log "tools ready in $((SECONDS - total_start))s"
echo "$bdir"
