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

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Warm the page cache so every run reads the blobs from memory alike.
cat $(cat "$work/image/layers.txt") > /dev/null

t0=$(now)
while read -r blob; do gzip -dc "$blob" > /dev/null; done < "$work/image/layers.txt"
t1=$(now)
floor_seq=$(ms "$t0" "$t1")

t0=$(now)
xargs -P "$(nproc)" -n 1 sh -c 'gzip -dc "$0" > /dev/null' < "$work/image/layers.txt"
t1=$(now)
floor_par=$(ms "$t0" "$t1")

run() { # run LABEL ARGS... → prints wall ms and peak RSS KiB
    local out
    out=$( { /usr/bin/time -f 'RSS %M' "$bin" scan "$@" > "$work/last.json"; } 2>&1 )
    echo "$out" | grep -v '^RSS' >&2 || true
    echo "$out" | awk '/^RSS/ { print $2 }'
}

rm -rf "$work/cache"
t0=$(now); cold_rss=$(run "$work/image" --cache "$work/cache"); t1=$(now)
cold=$(ms "$t0" "$t1"); cold_json=$(cat "$work/last.json")

warm=999999
for _ in 1 2 3; do
    t0=$(now); warm_rss=$(run "$work/image" --cache "$work/cache"); t1=$(now)
    w=$(ms "$t0" "$t1"); [ "$w" -lt "$warm" ] && warm=$w
done
warm_json=$(cat "$work/last.json")

t0=$(now); nocache_rss=$(run "$work/image" --no-cache); t1=$(now)
nocache=$(ms "$t0" "$t1")

t0=$(now); tiny_rss=$(run "$work/tiny" --no-cache); t1=$(now)
tiny=$(ms "$t0" "$t1"); tiny_json=$(cat "$work/last.json")

image_bytes=$(du -cb $(cat "$work/image/layers.txt") | tail -1 | cut -f1)
tiny_bytes=$(du -cb $(cat "$work/tiny/layers.txt") | tail -1 | cut -f1)

cat <<REPORT
machine: $(nproc) cores, $(uname -sr)
image: $(wc -l < "$work/image/layers.txt") layers, $image_bytes bytes stored
  floor (gzip -dc, sequential)   ${floor_seq} ms
  floor (gzip -dc, $(nproc) parallel)   ${floor_par} ms
  kura cold                       ${cold} ms   = $(ratio "$cold" "$floor_seq")x sequential floor, $(ratio "$cold" "$floor_par")x parallel floor   peak RSS ${cold_rss} KiB
  kura --no-cache                 ${nocache} ms   = $(ratio "$nocache" "$floor_seq")x sequential floor   peak RSS ${nocache_rss} KiB
  kura warm (best of 3)           ${warm} ms   peak RSS ${warm_rss} KiB
  cold result: $cold_json
  warm result: $warm_json
tiny: $tiny_count files, $tiny_bytes bytes stored
  kura --no-cache                 ${tiny} ms   peak RSS ${tiny_rss} KiB
  result: $tiny_json
REPORT
