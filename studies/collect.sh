#!/usr/bin/env bash
# Writes the reproduction study's status and report into studies/reproduction/
# from its run folders (studies/reproduction/runs, committed with the rest):
#   studies/collect.sh [RDARTS]     (default bin/rdarts)
set -euo pipefail
cd "$(dirname "$0")/.."
rdarts=${1:-bin/rdarts}
dst=studies/reproduction
src=$dst/runs
[ -d "$src" ] || { echo "no $src: run the study first (see docs/reproduction.md)" >&2; exit 1; }
tmp=$dst/.collect.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
"$rdarts" grid status studies/reproduction.yaml --no-slurm > "$tmp/status.txt" || true
runs=()
for run in "$src"/search/* "$src"/retrain/* "$src"/select/*; do
  [ -f "$run/config.json" ] && runs+=("$run")
done
"$rdarts" -q report "${runs[@]}" --format json > "$tmp/results.json"
"$rdarts" -q report "${runs[@]}" --format csv > "$tmp/results.csv"
"$rdarts" -q report "${runs[@]}" --format text > "$tmp/results.txt"
"$rdarts" -q report "${runs[@]}" --out "$tmp/report" --dot none
for f in status.txt results.json results.csv results.txt report; do
  rm -rf "${dst:?}/$f" && mv "$tmp/$f" "$dst/$f"
done
rmdir "$tmp"
echo "wrote $dst ($(grep -c . "$dst/status.txt") status lines)"
