#!/usr/bin/env bash
# Image scan benchmark: kura against the decompression floor, in one run.
#
#   bench/scan.sh            build (once) and measure
#   KURA_BENCH_DIR=/path     where images and caches go (default /tmp/kura-bench)
#   KURA_BENCH_TINY=N        file count of the tiny-files image (default 1000000)
#
# Builds a ~1 GB, 5-layer gzip OCI layout (dpkg status, python dist-infos, node_modules,
# binaries) and a one-layer image of N tiny files, then reports:
#   floor      gzip -dc of every layer blob to /dev/null, one after another, and in parallel
#              over all cores (kura walks layers in parallel, so both are shown)
# Each figure is given as wall time and as CPU time (user + sys): on a shared machine wall
# times swing with the load, CPU times much less.
#   cold       kura with an empty layer cache (includes digest and diff_id verification)
#   warm       kura again with the cache filled (layers are not opened)
#   tiny       peak RSS scanning the tiny-files image without cache
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=${KURA_BENCH_DIR:-/tmp/kura-bench}
tiny_count=${KURA_BENCH_TINY:-1000000}
target=${CARGO_TARGET_DIR:-$root/target}
mkdir -p "$work"

cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p kura-scan --example scan_bench
bin=$target/release/examples/scan_bench

[ -f "$work/image/layers.txt" ] || "$bin" gen-image "$work/image"
[ -f "$work/tiny/layers.txt" ] || "$bin" gen-tiny "$work/tiny" "$tiny_count"

# timed OUT CMD... : runs CMD under /usr/bin/time; sets T_WALL_MS, T_CPU_MS (user+sys of the
# command and its children) and T_RSS_KB; the command's stdout goes to OUT.
timed() {
    local out=$1; shift
    local stats
    stats=$( { /usr/bin/time -f 'TIME %e %U %S %M' "$@" > "$out"; } 2>&1 )
    echo "$stats" | grep -v '^TIME' >&2 || true
    read -r T_WALL_MS T_CPU_MS T_RSS_KB < <(echo "$stats" | awk '/^TIME/ { printf "%d %d %d\n", $2 * 1000, ($3 + $4) * 1000, $5 }')
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

layers=$work/image/layers.txt
# Warm the page cache so every run reads the blobs from memory alike.
cat $(cat "$layers") > /dev/null

timed /dev/null sh -c 'while read -r b; do gzip -dc "$b" > /dev/null; done < "$0"' "$layers"
floor_seq=$T_WALL_MS; floor_cpu=$T_CPU_MS
timed /dev/null sh -c 'xargs -P "$(nproc)" -n 1 sh -c '\''gzip -dc "$0" > /dev/null'\'' < "$0"' "$layers"
floor_par=$T_WALL_MS

rm -rf "$work/cache"
timed "$work/cold.json" "$bin" scan "$work/image" --cache "$work/cache"
cold=$T_WALL_MS; cold_cpu=$T_CPU_MS; cold_rss=$T_RSS_KB

warm=999999; warm_cpu=999999
for _ in 1 2 3 4 5; do
    timed "$work/warm.json" "$bin" scan "$work/image" --cache "$work/cache"
    [ "$T_WALL_MS" -lt "$warm" ] && warm=$T_WALL_MS
    [ "$T_CPU_MS" -lt "$warm_cpu" ] && warm_cpu=$T_CPU_MS
    warm_rss=$T_RSS_KB
done

timed "$work/nocache.json" "$bin" scan "$work/image" --no-cache
nocache=$T_WALL_MS; nocache_cpu=$T_CPU_MS; nocache_rss=$T_RSS_KB

tiny_layers=$work/tiny/layers.txt
cat $(cat "$tiny_layers") > /dev/null
timed /dev/null sh -c 'while read -r b; do gzip -dc "$b" > /dev/null; done < "$0"' "$tiny_layers"
tiny_floor=$T_WALL_MS; tiny_floor_cpu=$T_CPU_MS
timed "$work/tiny.json" "$bin" scan "$work/tiny" --no-cache
tiny=$T_WALL_MS; tiny_cpu=$T_CPU_MS; tiny_rss=$T_RSS_KB

image_bytes=$(du -cb $(cat "$layers") | tail -1 | cut -f1)
tiny_bytes=$(du -cb $(cat "$tiny_layers") | tail -1 | cut -f1)

cat <<REPORT
machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)
image: $(wc -l < "$layers") layers, $image_bytes bytes stored
                                   wall ms   cpu ms   wall/floor   cpu/floor   peak RSS KiB
  floor: gzip -dc, sequential     $floor_seq   $floor_cpu
  floor: gzip -dc, $(nproc) in parallel  $floor_par
  kura cold (empty cache)         $cold   $cold_cpu   $(ratio "$cold" "$floor_seq")   $(ratio "$cold_cpu" "$floor_cpu")   $cold_rss
  kura --no-cache                 $nocache   $nocache_cpu   $(ratio "$nocache" "$floor_seq")   $(ratio "$nocache_cpu" "$floor_cpu")   $nocache_rss
  kura warm (best of 5)           $warm   $warm_cpu   -   -   $warm_rss
  cold: $(cat "$work/cold.json")
  warm: $(cat "$work/warm.json")
tiny: $(wc -l < "$tiny_layers") layer, $tiny_bytes bytes stored
  floor: gzip -dc                 $tiny_floor   $tiny_floor_cpu
  kura --no-cache                 $tiny   $tiny_cpu   $(ratio "$tiny" "$tiny_floor")   $(ratio "$tiny_cpu" "$tiny_floor_cpu")   $tiny_rss
  result: $(cat "$work/tiny.json")
REPORT
