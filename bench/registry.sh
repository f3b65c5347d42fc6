#!/usr/bin/env bash
# Registry load benchmark: kura vs CNCF distribution (Debian's `docker-registry` package).
#
# Both servers run on 127.0.0.1, plain HTTP, without authentication (kura with --no-auth,
# distribution without an auth section), one after the other with the same kura-loadgen
# settings and the same seeded data. The load generator measures on the client side and reads
# each server's peak RSS (VmHWM) from /proc/PID/status.
#
# Usage: bench/registry.sh [--seconds N] [--out DIR] [--only kura|distribution]
#   DIST_PORT (default 5101): distribution's port; kura picks a free one itself.
#   Needs: cargo, docker-registry (apt-get install docker-registry), curl.
#   Prints a Markdown table (kura ÷ distribution) and leaves JSON reports in DIR.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
secs=5
only=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) secs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

command -v docker-registry >/dev/null || { echo "docker-registry is not installed: apt-get install docker-registry" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kura-regbench.XXXXXX")
out=${out:-$work}
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work/dist-data" "$work/kura-data"
}
trap cleanup EXIT

target=${CARGO_TARGET_DIR:-$root/target}
(cd "$root" && cargo build --release --quiet -p kura -p kura-loadgen)
kura=$target/release/kura
loadgen=$target/release/kura-loadgen

wait_ready() { # url pid
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "server $2 exited before becoming ready" >&2; return 1; }
    sleep 0.1
  done
  echo "server at $1 not ready after 20 s" >&2
  return 1
}

stop() { # pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

loadgen_run() { # name addr pid
  "$loadgen" run --name "$1" --addr "$2" --pid "$3" --seconds "$secs" --out "$out/$1.json"
}

run_distribution() {
  # Distribution logs every request at info level, which would slow it down, and prints its
  # bound port only at info level, so it gets a fixed port (DIST_PORT) and level error.
  local addr=127.0.0.1:${DIST_PORT:-5101}
  if curl -s -o /dev/null "http://$addr/" 2>/dev/null; then
    echo "$addr is already in use; set DIST_PORT" >&2
    exit 1
  fi
  local cfg=$work/distribution.yml
  cat >"$cfg" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/dist-data
  delete:
    enabled: true
http:
  addr: $addr
YAML
  docker-registry serve "$cfg" >/dev/null 2>"$work/distribution.log" &
  local pid=$!
  pids+=("$pid")
  wait_ready "http://$addr/v2/" "$pid"
  loadgen_run distribution "$addr" "$pid"
  stop "$pid"
}

run_kura() {
  "$kura" registry serve --listen 127.0.0.1:0 --data "$work/kura-data" --no-auth \
    --addr-file "$work/kura.addr" >/dev/null 2>"$work/kura.log" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 200); do [ -s "$work/kura.addr" ] && break; sleep 0.1; done
  [ -s "$work/kura.addr" ] || { echo "kura registry did not start:" >&2; cat "$work/kura.log" >&2; exit 1; }
  local addr
  addr=$(tr -d '[:space:]' <"$work/kura.addr")
  addr=${addr#http://}
  wait_ready "http://$addr/v2/" "$pid"
  loadgen_run kura "$addr" "$pid"
  stop "$pid"
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "distribution: $(dpkg-query -W -f '${Version}' docker-registry 2>/dev/null || echo unknown)"
  echo "kura: $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown) (release build)"
  echo "command: bench/registry.sh --seconds $secs"
} | tee "$out/meta.txt"

[ "$only" = kura ] || run_distribution
[ "$only" = distribution ] || run_kura
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/meta.txt"

if [ -z "$only" ]; then
  "$loadgen" compare "$out/kura.json" "$out/distribution.json" | tee "$out/compare.md"
fi
echo "reports: $out"
