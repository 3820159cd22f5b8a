//go:build cgo

// Pooling kernels: the per-plane work of pool.go in C, so gcc vectorises
// it. Each public function is compiled three times (AVX-512, AVX2,
// baseline x86-64) and picks its clone at load time.
//
// The algorithm and every operation's order are those of pool.go's Go
// loops (separable passes: each input row reduced over the window's
// columns into an h×ow buffer, then that buffer over the window's rows),
// so the C and Go kernels give the same bits: max pool only selects
// values; the average pool's sums add the same terms in the same order
// (the Go loop's s starts at +0, and so does this one), and the backward
// pass adds each input pixel's contributions in ascending output order.
// What changes is the loop nest: for the interior outputs, whose windows
// need no clamping, the window offset is the outer loop and the outputs
// the inner one, which gcc turns into vector loads, compares and blends
// (stride 1: contiguous).
//
// The package is built with -std=c11 (ISO C: no fp contraction) and
// without -ffast-math, so no clone may reorder or fuse the arithmetic.

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#define AI static inline __attribute__((always_inline))
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// windows fills lo, hi with each of the no outputs' clamped input range
// along one axis of length n.
AI void windows(int *lo, int *hi, int no, int n, int k, int s, int p) {
	for (int o = 0; o < no; o++) {
		int a = o * s - p, b = a + k;
		lo[o] = a > 0 ? a : 0;
		hi[o] = b < n ? b : n;
	}
}

// interior is the range [*a, *b) of outputs whose window o·s−p … o·s−p+k−1
// lies inside [0, n).
AI void interior(int *a, int *b, int no, int n, int k, int s, int p) {
	int lo = (p + s - 1) / s;         // first o with o·s − p ≥ 0
	int hi = (n - k + p) / s + 1;     // first o with o·s − p + k > n
	if (n - k + p < 0)
		hi = 0;
	if (lo > no)
		lo = no;
	if (hi > no)
		hi = no;
	if (hi < lo)
		hi = lo;
	*a = lo;
	*b = hi;
}

// scratch is one call's buffers: the h×ow row pass (values and, for max,
// indices) and the clamped windows.
typedef struct {
	float *hv;
	int32_t *ha;
	int *cl, *ch, *rl, *rh;
	void *mem;
} scratch;

static int mkscratch(scratch *sc, rd_pool q, int withArg) {
	size_t n = (size_t)q.h * q.ow;
	size_t bytes = n * sizeof(float) + (withArg ? n * sizeof(int32_t) : 0) + (size_t)(2 * q.ow + 2 * q.oh) * sizeof(int);
	sc->mem = malloc(bytes ? bytes : 1);
	if (!sc->mem)
		return -1;
	char *m = sc->mem;
	sc->hv = (float *)m;
	m += n * sizeof(float);
	sc->ha = NULL;
	if (withArg) {
		sc->ha = (int32_t *)m;
		m += n * sizeof(int32_t);
	}
	sc->cl = (int *)m;
	sc->ch = sc->cl + q.ow;
	sc->rl = sc->ch + q.ow;
	sc->rh = sc->rl + q.oh;
	windows(sc->cl, sc->ch, q.ow, q.w, q.k, q.s, q.p);
	windows(sc->rl, sc->rh, q.oh, q.h, q.k, q.s, q.p);
	return 0;
}

// maxrow is the horizontal max pass over one input row (row iy): the first
// maximum of each output's column window, value and flat index.
AI void maxrow(rd_pool q, const float *restrict row, int iy, float *restrict m, int32_t *restrict a,
		const int *cl, const int *ch, int ia, int ib) {
	int base = iy * q.w;
	for (int ox = 0; ox < q.ow; ox++) {
		if (ox == ia && ia < ib) {
			ox = ib - 1; // the interior, below
			continue;
		}
		int x0 = cl[ox], x1 = ch[ox];
		float mv = row[x0];
		int32_t av = base + x0;
		for (int ix = x0 + 1; ix < x1; ix++) {
			float v = row[ix];
			int gt = v > mv;
			mv = gt ? v : mv;
			av = gt ? base + ix : av;
		}
		m[ox] = mv;
		a[ox] = av;
	}
	if (ib <= ia)
		return;
	const int s = q.s, off = q.p;
	for (int ox = ia; ox < ib; ox++) {
		m[ox] = row[ox * s - off];
		a[ox] = base + ox * s - off;
	}
	for (int kx = 1; kx < q.k; kx++) {
		if (s == 1) {
			const float *restrict r = row + kx - off;
			int32_t b = base + kx - off;
			for (int ox = ia; ox < ib; ox++) {
				float v = r[ox];
				int gt = v > m[ox];
				m[ox] = gt ? v : m[ox];
				a[ox] = gt ? b + ox : a[ox];
			}
		} else {
			for (int ox = ia; ox < ib; ox++) {
				int ix = ox * s - off + kx;
				float v = row[ix];
				int gt = v > m[ox];
				m[ox] = gt ? v : m[ox];
				a[ox] = gt ? base + ix : a[ox];
			}
		}
	}
}

CLONES int rd_maxpool_forward(rd_pool q, const float *x, float *y, int32_t *arg, int lo, int hi) {
	scratch sc;
	if (mkscratch(&sc, q, 1))
		return -1;
	int ia, ib;
	interior(&ia, &ib, q.ow, q.w, q.k, q.s, q.p);
	const int hw = q.h * q.w, ohw = q.oh * q.ow, ow = q.ow;
	for (int pl = lo; pl < hi; pl++) {
		const float *xp = x + (ptrdiff_t)pl * hw;
		float *yp = y + (ptrdiff_t)pl * ohw;
		int32_t *ap = arg + (ptrdiff_t)pl * ohw;
		for (int iy = 0; iy < q.h; iy++)
			maxrow(q, xp + (ptrdiff_t)iy * q.w, iy, sc.hv + (ptrdiff_t)iy * ow, sc.ha + (ptrdiff_t)iy * ow, sc.cl, sc.ch, ia, ib);
		// Vertical: the first row whose maximum beats the earlier ones.
		for (int oy = 0; oy < q.oh; oy++) {
			float *restrict yr = yp + (ptrdiff_t)oy * ow;
			int32_t *restrict ar = ap + (ptrdiff_t)oy * ow;
			memcpy(yr, sc.hv + (ptrdiff_t)sc.rl[oy] * ow, (size_t)ow * sizeof(float));
			memcpy(ar, sc.ha + (ptrdiff_t)sc.rl[oy] * ow, (size_t)ow * sizeof(int32_t));
			for (int iy = sc.rl[oy] + 1; iy < sc.rh[oy]; iy++) {
				const float *restrict hr = sc.hv + (ptrdiff_t)iy * ow;
				const int32_t *restrict har = sc.ha + (ptrdiff_t)iy * ow;
				for (int ox = 0; ox < ow; ox++) {
					float v = hr[ox];
					int gt = v > yr[ox];
					yr[ox] = gt ? v : yr[ox];
					ar[ox] = gt ? har[ox] : ar[ox];
				}
			}
		}
	}
	free(sc.mem);
	return 0;
}

// sumrow is the horizontal sum pass over one input row: each output's
// column window summed left to right from +0.
AI void sumrow(rd_pool q, const float *restrict row, float *restrict h, const int *cl, const int *ch, int ia, int ib) {
	for (int ox = 0; ox < q.ow; ox++) {
		if (ox == ia && ia < ib) {
			ox = ib - 1; // the interior, below
			continue;
		}
		float sum = 0;
		for (int ix = cl[ox]; ix < ch[ox]; ix++)
			sum += row[ix];
		h[ox] = sum;
	}
	if (ib <= ia)
		return;
	const int s = q.s, off = q.p;
	for (int ox = ia; ox < ib; ox++)
		h[ox] = 0;
	for (int kx = 0; kx < q.k; kx++) {
		if (s == 1) {
			const float *restrict r = row + kx - off;
			for (int ox = ia; ox < ib; ox++)
				h[ox] += r[ox];
		} else {
			for (int ox = ia; ox < ib; ox++)
				h[ox] += row[ox * s - off + kx];
		}
	}
}

CLONES int rd_avgpool_forward(rd_pool q, const float *x, float *y, int lo, int hi) {
	scratch sc;
	if (mkscratch(&sc, q, 0))
		return -1;
	int ia, ib;
	interior(&ia, &ib, q.ow, q.w, q.k, q.s, q.p);
	const int hw = q.h * q.w, ohw = q.oh * q.ow, ow = q.ow;
	for (int pl = lo; pl < hi; pl++) {
		const float *xp = x + (ptrdiff_t)pl * hw;
		float *yp = y + (ptrdiff_t)pl * ohw;
		for (int iy = 0; iy < q.h; iy++)
			sumrow(q, xp + (ptrdiff_t)iy * q.w, sc.hv + (ptrdiff_t)iy * ow, sc.cl, sc.ch, ia, ib);
		for (int oy = 0; oy < q.oh; oy++) {
			float *restrict yr = yp + (ptrdiff_t)oy * ow;
			memcpy(yr, sc.hv + (ptrdiff_t)sc.rl[oy] * ow, (size_t)ow * sizeof(float));
			for (int iy = sc.rl[oy] + 1; iy < sc.rh[oy]; iy++) {
				const float *restrict hr = sc.hv + (ptrdiff_t)iy * ow;
				for (int ox = 0; ox < ow; ox++)
					yr[ox] += hr[ox];
			}
			int nr = sc.rh[oy] - sc.rl[oy];
			for (int ox = 0; ox < ow; ox++)
				yr[ox] /= (float)(nr * (sc.ch[ox] - sc.cl[ox]));
		}
	}
	free(sc.mem);
	return 0;
}

// spreadrow adds each output's h[ox] to its window's columns of one dx row,
// every pixel's contributions in ascending ox: the left border outputs,
// then the interior with the window offset descending (for a fixed pixel,
// a larger offset is a smaller ox), then the right border.
AI void spreadrow(rd_pool q, float *restrict row, const float *restrict h, const int *cl, const int *ch, int ia, int ib) {
	int left = ia < ib ? ia : q.ow; // outputs before the interior
	for (int ox = 0; ox < left; ox++)
		for (int ix = cl[ox]; ix < ch[ox]; ix++)
			row[ix] += h[ox];
	if (ib <= ia)
		return;
	const int s = q.s, off = q.p;
	for (int kx = q.k - 1; kx >= 0; kx--) {
		if (s == 1) {
			float *restrict r = row + kx - off;
			for (int ox = ia; ox < ib; ox++)
				r[ox] += h[ox];
		} else {
			for (int ox = ia; ox < ib; ox++)
				row[ox * s - off + kx] += h[ox];
		}
	}
	for (int ox = ib; ox < q.ow; ox++)
		for (int ix = cl[ox]; ix < ch[ox]; ix++)
			row[ix] += h[ox];
}

CLONES int rd_avgpool_backward(rd_pool q, const float *dy, float *dx, int lo, int hi) {
	scratch sc;
	if (mkscratch(&sc, q, 0))
		return -1;
	int ia, ib;
	interior(&ia, &ib, q.ow, q.w, q.k, q.s, q.p);
	const int hw = q.h * q.w, ohw = q.oh * q.ow, ow = q.ow;
	for (int pl = lo; pl < hi; pl++) {
		float *dxp = dx + (ptrdiff_t)pl * hw;
		const float *dyp = dy + (ptrdiff_t)pl * ohw;
		memset(sc.hv, 0, (size_t)q.h * ow * sizeof(float));
		for (int oy = 0; oy < q.oh; oy++) {
			const float *restrict g = dyp + (ptrdiff_t)oy * ow;
			int nr = sc.rh[oy] - sc.rl[oy];
			for (int iy = sc.rl[oy]; iy < sc.rh[oy]; iy++) {
				float *restrict hr = sc.hv + (ptrdiff_t)iy * ow;
				for (int ox = 0; ox < ow; ox++)
					hr[ox] += g[ox] / (float)(nr * (sc.ch[ox] - sc.cl[ox]));
			}
		}
		for (int iy = 0; iy < q.h; iy++)
			spreadrow(q, dxp + (ptrdiff_t)iy * q.w, sc.hv + (ptrdiff_t)iy * ow, sc.cl, sc.ch, ia, ib);
	}
	free(sc.mem);
	return 0;
}
