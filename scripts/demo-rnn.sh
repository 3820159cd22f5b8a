#!/usr/bin/env bash
# The recurrent (language-modelling) space end to end at a reduced budget:
# the King James Bible of Debian's bible-kjv as a PTB-format corpus, a
# first-order DARTS search of the recurrent cell with the Hessian eigenvalue
# every epoch, a short retraining of its genotype and the report
# (docs/recurrent.md).
# Usage: scripts/demo-rnn.sh [OUT] (default runs/demo-rnn); run it again to
# resume an interrupted search or retraining.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=${1:-runs/demo-rnn}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
command -v bible >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bible-kjv >/dev/null
data=$out/kjv
if [ ! -f "$data/ptb.test.txt" ]; then
  bible gen1:1-rev22:21 |
    sed -E '/^([1-3] )?[A-Z][A-Za-z ]* [0-9]+$/d; s/^ +[0-9]+ //' |
    bin/rdarts data ptb-from-text --out "$data"
fi
if [ -f "$out/search/config.json" ]; then
  bin/rdarts search --out "$out/search" --resume
else
  bin/rdarts search --space rnn --data "$data" --epochs 3 --hidden 64 --batch-size 32 --lr 5 \
    --dropout 0.1 --dropouth 0.1 --dropoutx 0.1 --dropouti 0.1 \
    --train-tokens 60000 --valid-tokens 10000 --hessian-every 1 --out "$out/search"
fi
if [ -f "$out/train/config.json" ]; then
  bin/rdarts train --out "$out/train" --resume
else
  bin/rdarts train --genotype "$out/search" --data "$data" --epochs 2 --hidden 64 --batch-size 32 \
    --train-tokens 60000 --valid-tokens 10000 --test-tokens 10000 --test-batch 10 --out "$out/train"
fi
bin/rdarts report "$out/search" "$out/train" --out "$out/report"
echo "search: $out/search/metrics.jsonl (perplexities, α, eigenvalues)   retraining: $out/train/result.json   report: $out/report/index.html"
