#!/usr/bin/env bash
# Sets up rdarts and runs the demo search: DARTS (first order) with the
# Hessian eigenvalue every 2 epochs on Fashion-MNIST, space S2, reduced budget.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=${1:-runs/demo}
if [ -f "$out/config.json" ]; then
  # A run is there: continue it (or just print its answer if it finished).
  bin/rdarts search --out "$out" --resume
else
  bin/rdarts search --dataset fashion-mnist --space s2 --order 1 \
    --epochs 30 --layers 5 --init-channels 8 --batch-size 64 --train-size 6000 \
    --hessian-every 2 --method darts-es --es-simulate --out "$out"
fi
echo "DARTS-ES on the same eigenvalues (where it would have stopped, and that epoch's genotype):"
bin/rdarts analyze es "$out"
echo "metrics: $out/metrics.jsonl   eigenvalues: $out/eigen.jsonl   genotype: $out/genotype.txt"
echo "report:  bin/rdarts report $out --out $out/report   (then open $out/report/index.html)"
