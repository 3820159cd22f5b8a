#!/usr/bin/python3
"""PyTorch twin of `rdarts bench`: the same one-shot network, search step and
Hessian eigenvalue, timed the same way, for bench/compare.sh.

Written for rdarts from docs/method.md (Operations, Search spaces, One-shot
network, Bilevel step, Eigen-analysis), not copied from the reference code. Needs only Debian's python3-torch
(and the python3-numpy it pulls in).

Items (as in rdarts):
  search1  first-order step: alpha part (grad of L_val w.r.t. alpha, Adam),
           w part (grad of L_train w.r.t. w, clip 5, SGD)
  search2  second-order (unrolled) step: w' = w - eta(m buf + grad_w L_train + wd w),
           g = grad_alpha L_val(w') - eta [grad_alpha L_train(w+) - grad_alpha L_train(w-)]/2R,
           R = 0.01/|v|, v = grad_w' L_val(w'), w+- = w +- R v
  exact    the reference's eigenvalue: the full Hessian of L_val + 1e-3/2 |alpha|^2 by
           double back-propagation, one row per backward (upper triangle, mirrored),
           then max(numpy.linalg.eigvals(H)); --hessian-rows K times K rows only
           and extrapolates (marked "estimated").

Gradients are taken with torch.autograd.grad for exactly the tensors each pass needs
(alpha only in the alpha passes, w only in the w pass), which is the work rdarts does;
--reference-backward instead calls loss.backward() on every leaf in the first-order
alpha pass and the w pass, as the reference's Architect and train() do.
"""
import argparse
import ctypes
import datetime
import gc
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SIZES = {
    "paper": dict(layers=8, C=16, batch=64, in_channels=3, hw=32, classes=10),
    "demo": dict(layers=5, C=8, batch=64, in_channels=1, hw=28, classes=10),
    "tiny": dict(layers=3, C=4, batch=4, in_channels=3, hw=8, classes=10),
}

DARTS_OPS = ["none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
             "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"]

# S1 per edge: (normal ops, reduce ops), docs/method.md (Search spaces).
S1 = [
    (["skip_connect", "dil_conv_3x3"], ["max_pool_3x3", "avg_pool_3x3"]),
    (["skip_connect", "dil_conv_5x5"], ["max_pool_3x3", "dil_conv_3x3"]),
    (["skip_connect", "dil_conv_5x5"], ["max_pool_3x3", "avg_pool_3x3"]),
    (["skip_connect", "sep_conv_3x3"], ["max_pool_3x3", "avg_pool_3x3"]),
    (["skip_connect", "dil_conv_3x3"], ["skip_connect", "dil_conv_5x5"]),
    (["max_pool_3x3", "skip_connect"], ["max_pool_3x3", "avg_pool_3x3"]),
    (["skip_connect", "sep_conv_3x3"], ["max_pool_3x3", "sep_conv_3x3"]),
    (["skip_connect", "sep_conv_3x3"], ["skip_connect", "dil_conv_3x3"]),
    (["skip_connect", "dil_conv_3x3"], ["skip_connect", "dil_conv_5x5"]),
    (["skip_connect", "sep_conv_3x3"], ["max_pool_3x3", "avg_pool_3x3"]),
    (["max_pool_3x3", "skip_connect"], ["max_pool_3x3", "avg_pool_3x3"]),
    (["skip_connect", "dil_conv_3x3"], ["skip_connect", "dil_conv_5x5"]),
    (["dil_conv_3x3", "dil_conv_5x5"], ["skip_connect", "dil_conv_5x5"]),
    (["dil_conv_3x3", "dil_conv_5x5"], ["skip_connect", "dil_conv_5x5"]),
]


def space_ops(name, reduce):
    """Op list of each of the 14 edges."""
    if name == "s1":
        return [e[1 if reduce else 0] for e in S1]
    if name == "s2":
        return [["skip_connect", "sep_conv_3x3"]] * 14
    if name == "s3":
        return [["none", "skip_connect", "sep_conv_3x3"]] * 14
    if name == "s4":
        return [["noise", "sep_conv_3x3"]] * 14
    if name == "darts":
        return [DARTS_OPS] * 14
    raise SystemExit("unknown space %r (have s1, s2, s3, s4, darts)" % name)


def bn(c, affine):
    return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1, affine=affine)


class ReLUConvBN(nn.Sequential):
    def __init__(self, cin, cout, k, s, p, affine):
        super().__init__(nn.ReLU(), nn.Conv2d(cin, cout, k, s, p, bias=False), bn(cout, affine))


class DilConv(nn.Sequential):
    def __init__(self, c, k, s, p, d, affine):
        super().__init__(nn.ReLU(), nn.Conv2d(c, c, k, s, p, dilation=d, groups=c, bias=False),
                         nn.Conv2d(c, c, 1, bias=False), bn(c, affine))


class SepConv(nn.Sequential):
    def __init__(self, c, k, s, p, affine):
        super().__init__(DilConv(c, k, s, p, 1, affine), DilConv(c, k, 1, p, 1, affine))


class FactorizedReduce(nn.Module):
    def __init__(self, cin, cout, affine):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout // 2, 1, 2, bias=False)
        self.c2 = nn.Conv2d(cin, cout // 2, 1, 2, bias=False)
        self.bn = bn(cout, affine)

    def forward(self, x):
        x = F.relu(x)
        return self.bn(torch.cat([self.c1(x), self.c2(x[:, :, 1:, 1:])], dim=1))


class Zero(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s

    def forward(self, x):
        return x.mul(0.) if self.s == 1 else x[:, :, ::self.s, ::self.s].mul(0.)


class Noise(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s

    def forward(self, x):
        if self.s != 1:
            x = x[:, :, ::self.s, ::self.s]
        return torch.randn_like(x)


class Identity(nn.Module):
    def forward(self, x):
        return x


def make_op(name, c, s):
    affine = False
    if name == "none":
        return Zero(s)
    if name == "noise":
        return Noise(s)
    if name == "skip_connect":
        return Identity() if s == 1 else FactorizedReduce(c, c, affine)
    if name == "max_pool_3x3":
        return nn.Sequential(nn.MaxPool2d(3, s, 1), bn(c, False))
    if name == "avg_pool_3x3":
        return nn.Sequential(nn.AvgPool2d(3, s, 1, count_include_pad=False), bn(c, False))
    if name == "sep_conv_3x3":
        return SepConv(c, 3, s, 1, affine)
    if name == "sep_conv_5x5":
        return SepConv(c, 5, s, 2, affine)
    if name == "dil_conv_3x3":
        return DilConv(c, 3, s, 2, 2, affine)
    if name == "dil_conv_5x5":
        return DilConv(c, 5, s, 4, 2, affine)
    raise ValueError(name)


class MixedOp(nn.Module):
    def __init__(self, c, s, names):
        super().__init__()
        self.ops = nn.ModuleList(make_op(n, c, s) for n in names)

    def forward(self, x, w):
        return sum(w[k] * op(x) for k, op in enumerate(self.ops))


class Cell(nn.Module):
    def __init__(self, cpp, cp, c, reduction, reduction_prev, ops):
        super().__init__()
        self.reduction = reduction
        self.pre0 = FactorizedReduce(cpp, c, False) if reduction_prev else ReLUConvBN(cpp, c, 1, 1, 0, False)
        self.pre1 = ReLUConvBN(cp, c, 1, 1, 0, False)
        self.edges = nn.ModuleList()
        e = 0
        for i in range(4):
            for j in range(2 + i):
                s = 2 if reduction and j < 2 else 1
                self.edges.append(MixedOp(c, s, ops[e]))
                e += 1

    def forward(self, s0, s1, weights):
        states = [self.pre0(s0), self.pre1(s1)]
        e = 0
        for i in range(4):
            states.append(sum(self.edges[e + j](h, weights[e + j]) for j, h in enumerate(states)))
            e += len(states) - 1
        return torch.cat(states[2:], dim=1)


class Network(nn.Module):
    def __init__(self, space, C, layers, in_channels, classes):
        super().__init__()
        cs = 3 * C
        self.stem = nn.Sequential(nn.Conv2d(in_channels, cs, 3, padding=1, bias=False), bn(cs, True))
        cpp, cp, c = cs, cs, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c *= 2
            self.cells.append(Cell(cpp, cp, c, reduction, reduction_prev, space_ops(space, reduction)))
            reduction_prev = reduction
            cpp, cp = cp, 4 * c
        self.classifier = nn.Linear(cp, classes)
        kn, kr = len(space_ops(space, False)[0]), len(space_ops(space, True)[0])
        self.alphas_normal = (1e-3 * torch.randn(14, kn)).requires_grad_()
        self.alphas_reduce = (1e-3 * torch.randn(14, kr)).requires_grad_()

    def alphas(self):
        return [self.alphas_normal, self.alphas_reduce]

    def forward(self, x):
        s0 = s1 = self.stem(x)
        wn, wr = F.softmax(self.alphas_normal, dim=-1), F.softmax(self.alphas_reduce, dim=-1)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, wr if cell.reduction else wn)
        return self.classifier(F.adaptive_avg_pool2d(s1, 1).flatten(1))


class Search:
    """The bilevel step of docs/method.md (Bilevel step) on one network."""

    def __init__(self, net, order, reference_backward):
        self.net, self.order, self.refbw = net, order, reference_backward
        self.w = list(net.parameters())
        self.lr, self.momentum, self.wd = 0.025, 0.9, 3e-4
        self.sgd = torch.optim.SGD(self.w, lr=self.lr, momentum=self.momentum, weight_decay=self.wd)
        self.adam = torch.optim.Adam(net.alphas(), lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)

    def loss(self, b):
        return F.cross_entropy(self.net(b[0]), b[1])

    def alpha_step(self, train, val):
        a = self.net.alphas()
        if self.order == 1:
            if self.refbw:
                self.adam.zero_grad()
                self.loss(val).backward()
            else:
                for p, g in zip(a, torch.autograd.grad(self.loss(val), a)):
                    p.grad = g
        else:
            for p, g in zip(a, self.unrolled_grad(train, val)):
                p.grad = g
        self.adam.step()

    def unrolled_grad(self, train, val):
        a, w, eta = self.net.alphas(), self.w, self.lr
        gw = torch.autograd.grad(self.loss(train), w)
        saved = [p.detach().clone() for p in w]
        bn = [b.clone() for b in self.net.buffers()]
        with torch.no_grad():
            for p, g in zip(w, gw):
                st = self.sgd.state.get(p, {})
                d = g + self.wd * p
                if st.get("momentum_buffer") is not None:
                    d = d + self.momentum * st["momentum_buffer"]
                p.sub_(eta * d)
        g = torch.autograd.grad(self.loss(val), a + w)
        with torch.no_grad():
            for b, s in zip(self.net.buffers(), bn):
                b.copy_(s)
        dalpha, v = g[:len(a)], g[len(a):]
        r = 0.01 / torch.cat([x.flatten() for x in v]).norm()

        def at(sign):
            with torch.no_grad():
                for p, s, vi in zip(w, saved, v):
                    p.copy_(s + sign * r * vi)
            return torch.autograd.grad(self.loss(train), a)

        gp, gm = at(1), at(-1)
        with torch.no_grad():
            for p, s in zip(w, saved):
                p.copy_(s)
        return [d - eta * (p - m) / (2 * r) for d, p, m in zip(dalpha, gp, gm)]

    def w_step(self, train):
        if self.refbw:
            self.sgd.zero_grad()
            self.loss(train).backward()
        else:
            for p, g in zip(self.w, torch.autograd.grad(self.loss(train), self.w)):
                p.grad = g
        nn.utils.clip_grad_norm_(self.w, 5)
        self.sgd.step()


def exact_hessian(net, val, rows):
    """The reference's Hessian: double back-propagation row by row. Returns
    (H or None, seconds for the create-graph gradient, seconds per row, rows done)."""
    an, ar = net.alphas()
    t0 = time.perf_counter()
    loss = F.cross_entropy(net(val[0]), val[1])
    gn, gr = torch.autograd.grad(loss, [an, ar], create_graph=True)
    g = torch.cat([(gn + 1e-3 * an).flatten(), (gr + 1e-3 * ar).flatten()])
    t_graph = time.perf_counter() - t0
    n, nn_ = g.numel(), an.numel()
    rows = n if rows <= 0 else min(rows, n)
    H = np.zeros((n, n))
    t1 = time.perf_counter()
    for i in range(rows):
        if i < nn_:
            d = torch.cat([x.flatten() for x in torch.autograd.grad(g[i], [an, ar], retain_graph=True)])
        else:
            d = torch.cat([torch.zeros(nn_), torch.autograd.grad(g[i], [ar], retain_graph=True)[0].flatten()])
        row = d.detach().double().numpy()
        H[i, i:] = row[i:]
        H[i:, i] = row[i:]
    per_row = (time.perf_counter() - t1) / rows
    return (H if rows == n else None), t_graph, per_row, rows


def summary(xs):
    return {"n": len(xs), "median": statistics.median(xs), "min": min(xs), "max": max(xs),
            "mean": statistics.fmean(xs)}


def reset_peak_rss():
    """Start a new VmHWM high-water mark. glibc keeps freed heap memory
    resident, so it is handed back first (malloc_trim), else the previous
    item's peak would carry over."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def batch(sz):
    return (torch.randn(sz["batch"], sz["in_channels"], sz["hw"], sz["hw"]),
            torch.randint(0, sz["classes"], (sz["batch"],)))


def run_item(args, space, size, item):
    sz = SIZES[size]
    torch.manual_seed(args.seed)
    reset = reset_peak_rss()
    net = Network(space, sz["C"], sz["layers"], sz["in_channels"], sz["classes"])
    net.train()
    train, val = batch(sz), batch(sz)
    res = {"space": space, "size": dict(sz, name=size), "item": item,
           "w_params": sum(p.numel() for p in net.parameters()),
           "n_alpha": sum(a.numel() for a in net.alphas())}
    if item in ("search1", "search2"):
        s = Search(net, 1 if item == "search1" else 2, args.reference_backward)
        ta, tw, tt, tc = [], [], [], []
        for i in range(args.warmup + args.steps):
            c0, t0 = time.process_time(), time.perf_counter()
            s.alpha_step(train, val)
            t1 = time.perf_counter()
            s.w_step(train)
            t2, c1 = time.perf_counter(), time.process_time()
            if i >= args.warmup:
                ta.append(t1 - t0), tw.append(t2 - t1), tt.append(t2 - t0), tc.append(c1 - c0)
        res.update(step=summary(tt), alpha=summary(ta), w=summary(tw), cpu=summary(tc))
    elif item == "exact":
        c0 = time.process_time()
        H, t_graph, per_row, rows = exact_hessian(net, val, args.hessian_rows)
        n = res["n_alpha"]
        t_eig = 0.0
        if H is not None:
            t0 = time.perf_counter()
            res["ev"] = float(max(np.linalg.eigvals(H).real))
            t_eig = time.perf_counter() - t0
        total = t_graph + per_row * n + t_eig
        cpu = (time.process_time() - c0) * total / (t_graph + per_row * rows + t_eig)
        res.update(step=summary([total]), cpu=summary([cpu]), rows=rows, graph_s=t_graph, per_row_s=per_row,
                   estimated=H is None)
    else:
        raise SystemExit("unknown item %r (have search1, search2, exact)" % item)
    res["peak_rss"], res["rss_reset"] = peak_rss(), reset
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spaces", default="s2")
    p.add_argument("--sizes", default="paper")
    p.add_argument("--items", default="search1,search2,exact")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--hessian-rows", type=int, default=0, help="rows to time (0 = all, exact eigenvalue)")
    p.add_argument("--reference-backward", action="store_true")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", default="", help="write the results here (default: stdout)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    out = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "loadavg": " ".join(open("/proc/loadavg").read().split()[:3]),
           "torch": torch.__version__, "threads": torch.get_num_threads(),
           "reference_backward": args.reference_backward, "results": []}
    for size in args.sizes.split(","):
        for space in args.spaces.split(","):
            for item in args.items.split(","):
                r = run_item(args, space, size, item)
                print("pytorch %s %s %s: median %.4g s, peak RSS %.0f MB%s" % (
                    space, size, item, r["step"]["median"], r["peak_rss"] / 2**20,
                    " (estimated from %d rows)" % r["rows"] if r.get("estimated") else ""), file=sys.stderr)
                out["results"].append(r)
    text = json.dumps(out, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
