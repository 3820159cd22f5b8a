#!/usr/bin/python3
"""Golden fixtures for search/golden_test.go: the one-shot network of
darts_bench.py (the PyTorch twin of rdarts' supernet) at a tiny size, with
its loss, gradients and α Hessian computed by PyTorch in float64.

    cd bench/pytorch && ./golden.py            # rewrites ../../search/testdata/golden_*.json.gz

Needs only Debian's python3-torch (1.13) and python3-numpy; not run in CI.

For each space (S2 and the 8-op DARTS space), the fixture holds:
  - the size (cells, channels, batch, image, classes) and λ_α;
  - every weight tensor under its rdarts name (nn.Params order), with its
    value and ∂L/∂w;
  - α normal and reduce, one batch (x, labels);
  - L = mean cross-entropy on the batch, BN in train mode (batch statistics),
    no drop path: the quantity rdarts' search.Bilevel.Pass computes;
  - ∂L/∂α (without the λ_α term);
  - H = ∇²_α (L + λ_α/2·|α|²), by double back-propagation one row at a
    time (as the reference's Hessian), α = [normal; reduce] row-major, and
    all its eigenvalues (numpy.linalg.eigvalsh), descending.

Weights follow PyTorch's default init (U(±1/√fan_in), as rdarts), the stem
BN's γ and β are 1 + 0.2·N(0,1) and 0.2·N(0,1), α is 0.5·N(0,1) (far from
uniform, so a wrong op order shows), x is N(0,1), labels uniform.
Weights, α and inputs are drawn in float32 and rounded to 4 significant
digits, so the fixture holds them exactly as both sides use them; everything
else is computed in float64 and written with 8 significant digits.

ReLU and max-pool kinks. The loss is piecewise smooth: a ReLU whose input
is within rounding of 0, or a max pool whose two largest inputs are within
rounding of each other, can choose differently in rdarts' float32 and this
float64 pass, and the gradients then differ by far more than rounding. The
script therefore records every ReLU input and max-pool window of the
float64 forward pass and redraws (next seed) until min |ReLU input| and the
smallest nonzero gap between a window's largest and second-largest value
are both at least MARGIN, and the same pass in float32 moves those values by
at most MARGIN/5 (float32_deviation). Exact ties (gap 0) are allowed: they
are structural (pixels whose ReLU'd inputs are all zero give identical BN
outputs), the script checks that they tie in float32 too, and that PyTorch
then takes the first maximum in row-major window order, as rdarts does.
The fixture records the seed, the margins and the deviations.
"""
import argparse
import gzip
import json
import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import darts_bench as db  # noqa: E402  (the same network definition)

SIZE = dict(layers=3, C=4, batch=4, in_channels=3, hw=8, classes=10)
LAMBDA = 1e-3    # λ_α, rdarts' arch_weight_decay default
ALPHA_STD = 0.5  # α ~ 0.5·N(0,1): far from uniform, so op order matters
MARGIN = 5e-5    # min |ReLU input| and min nonzero max-pool gap accepted
DIGITS_IN = 4    # significant digits of weights, α and x
DIGITS_OUT = 8   # significant digits of the expected values


def rdarts_name(name):
    """Maps a darts_bench parameter name to the rdarts nn.Params name."""
    rules = [
        (r"^stem\.0\.weight$", "stem.conv.weight"),
        (r"^stem\.1\.(weight|bias)$", r"stem.bn.\1"),
        (r"^(cells\.\d+\.pre[01])\.1\.weight$", r"\1.conv.weight"),            # ReLUConvBN
        (r"^(cells\.\d+\.pre0)\.c([12])\.weight$", r"\1.conv_\2.weight"),       # FactorizedReduce
        (r"^(cells\.\d+\.edges\.\d+)\.ops\.(\d+)\.c([12])\.weight$", r"\1.\2.conv_\3.weight"),
        (r"^(cells\.\d+\.edges\.\d+)\.ops\.(\d+)\.([01])\.1\.weight$", r"\1.\2.\3.dw.weight"),  # SepConv
        (r"^(cells\.\d+\.edges\.\d+)\.ops\.(\d+)\.([01])\.2\.weight$", r"\1.\2.\3.pw.weight"),
        (r"^(cells\.\d+\.edges\.\d+)\.ops\.(\d+)\.1\.weight$", r"\1.\2.dw.weight"),  # DilConv
        (r"^(cells\.\d+\.edges\.\d+)\.ops\.(\d+)\.2\.weight$", r"\1.\2.pw.weight"),
        (r"^classifier\.(weight|bias)$", r"classifier.\1"),
    ]
    for pat, rep in rules:
        if re.match(pat, name):
            return re.sub(pat, rep, name)
    raise SystemExit("no rdarts name for parameter %s" % name)


def rounded(t, digits):
    """t rounded to digits significant digits, then to float32."""
    a = t.detach().double().numpy()
    a = np.array([float("%.*g" % (digits, v)) for v in a.ravel()]).reshape(a.shape)
    return torch.from_numpy(a.astype(np.float32))


def draw(space, seed):
    """The float32 network, α and batch of one seed (values already rounded)."""
    torch.manual_seed(seed)
    sz = SIZE
    net = db.Network(space, sz["C"], sz["layers"], sz["in_channels"], sz["classes"])
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.startswith("stem.1."):  # γ, β of the stem's affine BN
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.2 * torch.randn_like(p))
            p.copy_(rounded(p, DIGITS_IN))
    an = rounded(ALPHA_STD * torch.randn_like(net.alphas_normal), DIGITS_IN)
    ar = rounded(ALPHA_STD * torch.randn_like(net.alphas_reduce), DIGITS_IN)
    x = rounded(torch.randn(sz["batch"], sz["in_channels"], sz["hw"], sz["hw"]), DIGITS_IN)
    y = torch.randint(0, sz["classes"], (sz["batch"],))
    net.train()
    return net, an, ar, x, y


class Kinks:
    """Records every ReLU input and every max-pool window's top-2 gap while
    active (torch.nn.functional is patched; nn.ReLU, nn.MaxPool2d and
    darts_bench's FactorizedReduce all go through it)."""

    def __init__(self):
        self.relu, self.gap = [], []

    def __enter__(self):
        self.orig = F.relu, F.max_pool2d
        relu, pool = self.orig

        def rec_relu(x, *a, **k):
            self.relu.append(x.detach().flatten().clone())
            return relu(x, *a, **k)

        def rec_pool(x, kernel_size, stride=None, padding=0, *a, **k):
            n, c, h, w = x.shape
            kk = kernel_size * kernel_size
            win = F.unfold(F.pad(x.detach(), [padding] * 4, value=float("-inf")), kernel_size, stride=stride)
            win = win.reshape(n, c, kk, -1)
            top = win.topk(2, dim=2).values
            self.gap.append((top[:, :, 0] - top[:, :, 1]).flatten().clone())
            # The winner PyTorch picks must be the first maximum in
            # row-major window order, as rdarts' (this matters for exact ties).
            pos = torch.arange(h * w, dtype=x.dtype).reshape(1, 1, h, w)
            pos = F.unfold(F.pad(pos, [padding] * 4, value=-1.0), kernel_size, stride=stride).reshape(1, 1, kk, -1)
            first = (win == top[:, :, :1]).to(torch.int8).argmax(dim=2, keepdim=True)
            want = pos.expand(n, c, kk, -1).gather(2, first).flatten().long()
            _, got = pool(x.detach(), kernel_size, stride, padding, return_indices=True)
            if not torch.equal(got.flatten(), want):
                raise SystemExit("max pool: PyTorch's winner is not the first maximum")
            return pool(x, kernel_size, stride, padding, *a, **k)

        F.relu, F.max_pool2d = rec_relu, rec_pool
        return self

    def __exit__(self, *exc):
        F.relu, F.max_pool2d = self.orig


def forward(net, an, ar, x, y):
    net.alphas_normal, net.alphas_reduce = an, ar
    return F.cross_entropy(net(x), y)


def kinks(net, an, ar, x, y, dtype):
    """ReLU inputs and max-pool gaps of one forward pass in dtype."""
    net = net.to(dtype)
    with torch.no_grad(), Kinks() as k:
        forward(net, an.to(dtype), ar.to(dtype), x.to(dtype), y)
    relu = torch.cat(k.relu).double() if k.relu else torch.zeros(0)
    gap = torch.cat(k.gap).double() if k.gap else torch.zeros(0)
    return relu, gap


def margins(space, seed):
    """The kink margins of one seed: min |ReLU input|, the smallest nonzero
    max-pool gap, the exact ties, and how far float32 moves them."""
    net, an, ar, x, y = draw(space, seed)
    r64, g64 = kinks(net, an, ar, x, y, torch.float64)
    r32, g32 = kinks(net, an, ar, x, y, torch.float32)
    ties = g64 == 0
    if not torch.equal(ties, g32 == 0):
        return None  # a tie in one precision only: redraw
    m = {"relu_inputs": r64.numel(), "pool_windows": g64.numel(),
         "relu": float(r64.abs().min()),
         "pool": float(g64[~ties].min()) if g64.numel() else None,
         "pool_exact_ties": int(ties.sum()),
         "float32_deviation": {"relu": float((r32 - r64).abs().max()),
                               "pool": float((g32 - g64).abs().max()) if g64.numel() else None}}
    return m


def fmt(v, digits):
    return float("%.*g" % (digits, v))


def golden(space, seed0, tries):
    for seed in range(seed0, seed0 + tries):
        m = margins(space, seed)
        ok = (m is not None and m["relu"] >= MARGIN and (m["pool"] is None or m["pool"] >= MARGIN)
              and max(v or 0 for v in m["float32_deviation"].values()) <= MARGIN / 5)
        if m is None:
            print("%s seed %d: a max-pool tie in one precision only (redraw)" % (space, seed), file=sys.stderr)
        else:
            print("%s seed %d: min |ReLU input| %.3g, min pool gap %s%s" % (
                space, seed, m["relu"], "-" if m["pool"] is None else "%.3g" % m["pool"],
                "" if ok else " (redraw)"), file=sys.stderr)
        if ok:
            break
    else:
        raise SystemExit("%s: no seed in [%d, %d) keeps every kink %g away" % (space, seed0, seed0 + tries, MARGIN))

    net, an, ar, x, y = draw(space, seed)
    net = net.double()
    an = an.double().requires_grad_()
    ar = ar.double().requires_grad_()
    x = x.double()
    params = list(net.named_parameters())
    w = [p for _, p in params]

    loss = forward(net, an, ar, x, y)
    grads = torch.autograd.grad(loss, [an, ar] + w, create_graph=True)
    gan, gar, gw = grads[0], grads[1], grads[2:]
    g = torch.cat([(gan + LAMBDA * an).flatten(), (gar + LAMBDA * ar).flatten()])
    n = g.numel()
    H = np.zeros((n, n))
    for i in range(n):
        row = torch.autograd.grad(g[i], [an, ar], retain_graph=True)
        H[i] = torch.cat([r.flatten() for r in row]).detach().numpy()
    asym = float(np.abs(H - H.T).max())
    H = (H + H.T) / 2
    ev = np.sort(np.linalg.eigvalsh(H))[::-1]
    print("%s: loss %.6f, %d weights, %d α, λ_max %.6g, |H−Hᵀ| %.2g" % (
        space, loss.item(), sum(p.numel() for p in w), n, ev[0], asym), file=sys.stderr)

    def vals(t, digits):
        return [fmt(v, digits) for v in t.detach().double().flatten().tolist()]

    out = {
        "generator": "bench/pytorch/golden.py (PyTorch %s, float64, double back-propagation)" % torch.__version__,
        "space": space,
        "size": SIZE,
        "lambda": LAMBDA,
        "seed": seed,
        "margin": MARGIN,
        "kinks": m,
        "loss": fmt(loss.item(), DIGITS_OUT + 4),
        "x_shape": list(x.shape),
        "x": vals(x, DIGITS_IN),
        "labels": y.tolist(),
        "alpha_shape": [list(an.shape), list(ar.shape)],
        "alpha_normal": vals(an, DIGITS_IN),
        "alpha_reduce": vals(ar, DIGITS_IN),
        "grad_alpha_normal": vals(gan, DIGITS_OUT),
        "grad_alpha_reduce": vals(gar, DIGITS_OUT),
        "hessian": [[fmt(v, DIGITS_OUT) for v in row] for row in H.tolist()],
        "eigenvalues": [fmt(v, DIGITS_OUT + 2) for v in ev.tolist()],
        "weights": [{"name": rdarts_name(name), "shape": list(p.shape),
                     "value": vals(p, DIGITS_IN), "grad": vals(gp, DIGITS_OUT)}
                    for (name, p), gp in zip(params, gw)],
    }
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spaces", default="s2,darts")
    p.add_argument("--seed", type=int, default=1, help="first seed tried")
    p.add_argument("--tries", type=int, default=1000, help="seeds tried before giving up")
    p.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "..", "search", "testdata")))
    args = p.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for space in args.spaces.split(","):
        out = golden(space, args.seed, args.tries)
        path = os.path.join(args.out, "golden_%s.json.gz" % space)
        text = json.dumps(out, separators=(",", ":")).encode()
        # mtime=0: the same fixture gives the same bytes.
        with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as z:
            z.write(text + b"\n")
        print("%s: %d bytes (%d uncompressed)" % (path, os.path.getsize(path), len(text)), file=sys.stderr)


if __name__ == "__main__":
    main()
