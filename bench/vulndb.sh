#!/bin/sh
# Vulnerability DB figures for docs/perf.md ("Vulnerability DB"): build time and size from
# ../shared/vulndata, open time, matching time for 2,000 packages. Release build.
set -eu
cd "$(dirname "$0")/.."
exec cargo bench -p kura-match --bench vulndb
