#!/usr/bin/env python3
"""PyTorch twin of rdarts' recurrent one-shot model (rnnnet), for timing.

Builds the DARTS language-model search model as docs/recurrent.md describes it
(embedding, locked dropout, the one-shot cell with 8 nodes mixing tanh, relu,
sigmoid and identity by softmax(alpha) with a shared affine-free batch norm,
tied decoder, NLL plus temporal activation regularisation) and times, on random
tokens, the w step of the search (--item wstep: forward, backward, gradient
clipping, SGD) or a whole first-order search step (--item search1: the alpha
step -- forward and backward of a validation window w.r.t. alpha, Adam -- then
the w step), the twin of `rdarts bench --spaces rnn --items search1`.
Needs only Debian's python3-torch:

    /usr/bin/python3 bench/pytorch/rnn_bench.py --threads 2 --batch 64 --steps 3

It prints one JSON line: the median and minimum seconds per step and the
median CPU seconds (all threads).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

ACTS = [torch.tanh, torch.relu, torch.sigmoid, lambda u: u]  # columns 1..4 of alpha; column 0 is none


def mask(shape, p, gen):
    if p == 0:
        return None
    return torch.bernoulli(torch.full(shape, 1 - p), generator=gen) / (1 - p)


class Model(torch.nn.Module):
    def __init__(self, vocab, d, steps=8):
        super().__init__()
        r = 0.04
        self.d, self.steps = d, steps
        self.emb = torch.nn.Parameter(torch.empty(vocab, d).uniform_(-r, r))
        self.bias = torch.nn.Parameter(torch.zeros(vocab))
        self.w0 = torch.nn.Parameter(torch.empty(2 * d, 2 * d).uniform_(-r, r))
        self.ws = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.empty(d, 2 * d).uniform_(-r, r)) for _ in range(steps)])
        self.alpha = 1e-3 * torch.randn(steps * (steps + 1) // 2, 5)
        self.bn = torch.nn.BatchNorm1d(d, affine=False)

    def cell(self, x, h, probs, xm, hm):
        d = self.d
        c0, u0 = torch.split(torch.cat([x * xm, h * hm], -1) @ self.w0, d, -1)
        s0 = self.bn(h + torch.sigmoid(c0) * (torch.tanh(u0) - h))
        states, off = [s0], 0
        for i in range(self.steps):
            st = torch.stack(states)
            c, u = torch.split((st * hm).view(-1, d).mm(self.ws[i]).view(i + 1, -1, 2 * d), d, -1)
            c = torch.sigmoid(c)
            s = 0
            for k, f in enumerate(ACTS):
                w = probs[off:off + i + 1, k + 1].view(-1, 1, 1)
                s = s + (w * (st + c * (f(u) - st))).sum(0)
            states.append(self.bn(s))
            off += i + 1
        return torch.stack(states[1:]).mean(0)

    def forward(self, x, y, gen, drop=(0.75, 0.25, 0.75, 0.2)):
        t, b = x.shape
        d = self.d
        dout, dh, dx, di = drop
        mi, mx, mh, mo = (mask((b, d), p, gen) for p in (di, dx, dh, dout))
        probs = F.softmax(self.alpha, -1)
        emb = F.embedding(x, self.emb) * mi
        h = torch.zeros(b, d)
        outs = []
        for i in range(t):
            h = self.cell(emb[i], h, probs, mx, mh)
            outs.append(h)
        raw = torch.stack(outs)
        logits = (raw * mo).view(-1, d) @ self.emb.t() + self.bias
        loss = F.nll_loss(F.log_softmax(logits, -1), y.view(-1))
        tar = (raw[1:] - raw[:-1]).pow(2).mean()
        return loss, tar


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=10000)
    ap.add_argument("--hidden", type=int, default=300)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--bptt", type=int, default=35)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--item", choices=["wstep", "search1"], default="wstep")
    ap.add_argument("--json", help="also write the JSON line to this file")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(1)
    m = Model(a.vocab, a.hidden)
    m.train()
    opt = torch.optim.SGD(m.parameters(), lr=20, weight_decay=5e-7)
    m.alpha.requires_grad_(a.item == "search1")
    arch = torch.optim.Adam([m.alpha], lr=3e-3, betas=(0.9, 0.999), weight_decay=1e-3)
    x = torch.randint(a.vocab, (a.bptt, a.batch))
    y = torch.randint(a.vocab, (a.bptt, a.batch))
    vx = torch.randint(a.vocab, (a.bptt, a.batch))
    vy = torch.randint(a.vocab, (a.bptt, a.batch))
    times, cpu = [], []
    for i in range(a.warmup + a.steps):
        start, c0 = time.perf_counter(), time.process_time()
        if a.item == "search1":
            arch.zero_grad()
            for p in m.parameters():
                p.requires_grad_(False)
            loss, _ = m(vx, vy, gen)
            loss.backward()
            arch.step()
            for p in m.parameters():
                p.requires_grad_(True)
            m.alpha.requires_grad_(False)
        opt.zero_grad()
        loss, tar = m(x, y, gen)
        (loss + 1e-3 * tar).backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 0.25)
        opt.step()
        if a.item == "search1":
            m.alpha.requires_grad_(True)
        if i >= a.warmup:
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - c0)
    line = json.dumps({"item": "rnn-" + a.item, "framework": "pytorch " + torch.__version__, "threads": a.threads,
                       "vocab": a.vocab, "hidden": a.hidden, "batch": a.batch, "bptt": a.bptt,
                       "median_s": statistics.median(times), "min_s": min(times), "cpu_median_s": statistics.median(cpu)})
    print(line)
    if a.json:
        with open(a.json, "w") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
