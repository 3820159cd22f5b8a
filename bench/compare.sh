#!/usr/bin/env bash
# compare.sh — time rdarts and the PyTorch twin (bench/pytorch/darts_bench.py)
# on this machine, one after the other in one go, and print the ratios
# rdarts / PyTorch (time, CPU time, peak RSS) as a Markdown table.
#
#   bench/compare.sh [--threads N] [--spaces s2,s1] [--sizes paper] [--steps 3]
#                    [--hessian-rows K] [--exact] [--reference-backward]
#                    [--rnn-size demo|paper|tiny|none] [--out DIR]
#
# --rnn-size also times the recurrent space's first-order search step
# (rdarts bench --spaces rnn --items search1) against its PyTorch twin
# (bench/pytorch/rnn_bench.py --item search1) at that size (default demo:
# 10 000 words, 64 units, batch 32; paper is the reference's 300 units,
# batch 256, minutes a step on a small machine); none leaves it out.
#
# --hessian-rows K times only K rows of PyTorch's exact Hessian and
# extrapolates (the DARTS space's 224 rows take about half an hour);
# --exact also times rdarts' own full-Hessian eigenvalue. Needs Go and
# Debian's python3-torch (/usr/bin/python3). Raw JSON goes to --out
# (default: a fresh temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."

threads=$(nproc) spaces=s2 sizes=paper steps=3 rows=0 exact=0 refbw= out= rnnsize=demo
while (($#)); do
	case $1 in
	--threads) threads=$2; shift ;;
	--spaces) spaces=$2; shift ;;
	--sizes) sizes=$2; shift ;;
	--steps) steps=$2; shift ;;
	--hessian-rows) rows=$2; shift ;;
	--exact) exact=1 ;;
	--reference-backward) refbw=--reference-backward ;;
	--rnn-size) rnnsize=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
out=${out:-$(mktemp -d /tmp/rdarts-compare.XXXXXX)}
mkdir -p "$out"
py=/usr/bin/python3
"$py" -c 'import torch' 2>/dev/null || { echo "compare.sh: needs python3-torch (apt-get install python3-torch)" >&2; exit 1; }

items=search1,search2,eigen
((exact)) && items+=,exact
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | wc -l)
echo "compare.sh: commit $commit ($dirty modified tracked files), $threads threads, out $out" >&2
echo "compare.sh: load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

go build -buildvcs=true -o "$out/rdarts" ./cmd/rdarts
"$out/rdarts" --threads "$threads" bench --spaces "$spaces" --sizes "$sizes" --items "$items" \
	--steps "$steps" --warmup 1 --json "$out/rdarts.json" >"$out/rdarts.txt"
cat "$out/rdarts.txt" >&2
"$py" bench/pytorch/darts_bench.py --threads "$threads" --spaces "$spaces" --sizes "$sizes" \
	--items search1,search2,exact --steps "$steps" --warmup 1 --hessian-rows "$rows" $refbw \
	--json "$out/pytorch.json"
if [ "$rnnsize" != none ]; then
	"$out/rdarts" --threads "$threads" bench --spaces rnn --sizes "$rnnsize" --items search1 \
		--steps "$steps" --warmup 1 --json "$out/rdarts-rnn.json" >"$out/rdarts-rnn.txt"
	cat "$out/rdarts-rnn.txt" >&2
	read -r vocab hidden batch bptt < <("$py" -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]["rnn"]; print(r["vocab"], r["hidden"], r["batch"], r["bptt"])' "$out/rdarts-rnn.json")
	"$py" bench/pytorch/rnn_bench.py --item search1 --threads "$threads" --vocab "$vocab" --hidden "$hidden" \
		--batch "$batch" --bptt "$bptt" --steps "$steps" --warmup 1 --json "$out/pytorch-rnn.json" >/dev/null
fi
echo "compare.sh: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$py" - "$out/rdarts.json" "$out/pytorch.json" "$commit" "$dirty" "$out/rdarts-rnn.json" "$out/pytorch-rnn.json" <<'PY'
import json, os, sys
rd, pt = (json.load(open(p)) for p in sys.argv[1:3])
commit, dirty = sys.argv[3], int(sys.argv[4])
rnn = [json.load(open(p)) for p in sys.argv[5:7] if os.path.exists(p)]
R = {(r["space"], r["size"]["name"], r["item"]): r for r in rd["results"]}
P = {(r["space"], r["size"]["name"], r["item"]): r for r in pt["results"]}
m = rd["machine"]
print(f"rdarts {commit}{' +%d modified' % dirty if dirty else ''} vs PyTorch {pt['torch']} ({pt['threads']} threads), "
      f"{m['cpu']}, {m['threads']} threads, started {rd['date']}; load average {m.get('loadavg', '?')} / {pt.get('loadavg', '?')}")
print()
print("| space | size | item | rdarts s | PyTorch s | time ratio | rdarts CPU s | PyTorch CPU s | CPU ratio | rdarts RSS MB | PyTorch RSS MB | RSS ratio | target |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
def row(key, rkey, pkey, part, label, target):
    r, p = R.get(rkey), P.get(pkey)
    if r is None or p is None:
        return
    rs, ps = (r[part]["median"], p[part]["median"]) if part != "step" else (r["step"]["median"], p["step"]["median"])
    cells = [key[0], key[1], label, f"{rs:.3f}", f"{ps:.3f}" + (" (est.)" if p.get("estimated") else ""), f"**{rs / ps:.3f}**"]
    if part == "step":
        rc, pc = r["cpu"]["median"], p["cpu"]["median"]
        rm, pm = r["peak_rss"] / 2**20, p["peak_rss"] / 2**20
        cells += [f"{rc:.2f}", f"{pc:.2f}", f"{rc / pc:.3f}", f"{rm:.0f}", f"{pm:.0f}", f"{rm / pm:.3f}"]
    else:
        cells += [""] * 6
    print("| " + " | ".join(cells + [target]) + " |")
for (space, size, item) in [k for k in R if k[2] == "search1"]:
    k = (space, size)
    for it, name in (("search1", "1st-order step"), ("search2", "2nd-order step")):
        row(k, (*k, it), (*k, it), "step", name, "≤ 0.67 time, ≤ 1 RSS")
        row(k, (*k, it), (*k, it), "alpha", f"  α part", "")
        row(k, (*k, it), (*k, it), "w", f"  w part", "")
    row(k, (*k, "eigen"), (*k, "exact"), "step", "eigenvalue: rdarts Lanczos / PyTorch exact Hessian", "≤ 0.1")
    row(k, (*k, "exact"), (*k, "exact"), "step", "eigenvalue: exact / exact", "")
print()
for (space, size, item), r in R.items():
    if item in ("eigen", "exact"):
        p = P.get((space, size, "exact"), {})
        print(f"{space} {size}: rdarts {item} ev {r['ev']:.5g} ({r['grad_evals']} gradients); PyTorch exact ev "
              f"{p.get('ev', float('nan')):.5g}{' (not computed: estimated from %d rows)' % p['rows'] if p.get('estimated') else ''}"
              " — different random weights, so the values are not expected to agree")
if len(rnn) == 2:
    r, p = rnn[0]["results"][0], rnn[1]
    rs, ps = r["step"]["median"], p["median_s"]
    rc, pc = r["cpu"]["median"], p["cpu_median_s"]
    print()
    print("| space | size | item | rdarts s | PyTorch s | time ratio | rdarts CPU s | PyTorch CPU s | CPU ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| rnn | {r['size']['name']} (V {p['vocab']}, {p['hidden']} units, batch {p['batch']}, BPTT {p['bptt']}) | 1st-order step "
          f"| {rs:.3f} | {ps:.3f} | **{rs / ps:.3f}** | {rc:.2f} | {pc:.2f} | {rc / pc:.3f} |")
PY
