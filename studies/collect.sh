#!/usr/bin/env bash
# Copies the small outputs of the reproduction study (not its checkpoints)
# into studies/reproduction/ and writes its report there:
#   studies/collect.sh [RDARTS]     (default bin/rdarts)
# runs/ (where the grid writes) is not committed; studies/reproduction/ is.
set -euo pipefail
cd "$(dirname "$0")/.."
rdarts=${1:-bin/rdarts}
src=runs/reproduction
dst=studies/reproduction
[ -d "$src" ] || { echo "no $src: run the study first (see docs/reproduction.md)" >&2; exit 1; }
rm -rf "$dst.tmp" && mkdir -p "$dst.tmp"
for stage in search select retrain; do
  for run in "$src/$stage"/*/; do
    [ -f "$run/config.json" ] || continue
    out="$dst.tmp/$stage/$(basename "$run")"
    mkdir -p "$out"
    for f in config.json metrics.jsonl eigen.jsonl genotype.txt result.json; do
      [ -f "$run/$f" ] && cp "$run/$f" "$out/"
    done
  done
done
"$rdarts" grid status studies/reproduction.yaml --no-slurm > "$dst.tmp/status.txt" || true
runs=("$dst.tmp"/search/* "$dst.tmp"/retrain/* "$dst.tmp"/select/*)
"$rdarts" -q report "${runs[@]}" --format json > "$dst.tmp/results.json"
"$rdarts" -q report "${runs[@]}" --format csv > "$dst.tmp/results.csv"
"$rdarts" -q report "${runs[@]}" --format text > "$dst.tmp/results.txt"
"$rdarts" -q report "${runs[@]}" --out "$dst.tmp/report" --dot none
rm -rf "$dst" && mv "$dst.tmp" "$dst"
echo "wrote $dst ($(grep -c . "$dst/status.txt") status lines)"
