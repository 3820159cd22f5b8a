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

// first3 is the first maximum of (a, b, c) at indices (i, i+1, i+2),
// written as selects so that a loop of them vectorises.
AI void first3(float a, float b, float c, int32_t i, float *m, int32_t *k) {
	float mv = a;
	int32_t kv = i;
	int gt = b > mv;
	mv = gt ? b : mv;
	kv = gt ? i + 1 : kv;
	gt = c > mv;
	mv = gt ? c : mv;
	kv = gt ? i + 2 : kv;
	*m = mv;
	*k = kv;
}

// maxpool3 is the 3×3, stride 1, padding 1 max pool of one h×w plane
// (h, w ≥ 2), the pool of every DARTS space: the same two passes as the
// general code, each one flat loop over the whole plane (so planes of
// 8×8 fill vectors as well as 32×32 ones), then the border columns (or
// rows), whose windows are clamped, redone. hv, ha are h·w scratch.
AI void maxpool3(int h, int w, const float *restrict x, float *restrict y, int32_t *restrict arg,
		float *restrict hv, int32_t *restrict ha) {
	const int n = h * w;
	// Horizontal: output i reads i−1, i, i+1; wrong at the row ends (they
	// read the neighbouring rows), which are redone below.
	for (int i = 1; i < n - 1; i++)
		first3(x[i - 1], x[i], x[i + 1], i - 1, &hv[i], &ha[i]);
	for (int r = 0; r < h; r++) {
		int i = r * w, j = i + w - 1;
		int gt = x[i + 1] > x[i];
		hv[i] = gt ? x[i + 1] : x[i];
		ha[i] = gt ? i + 1 : i;
		gt = x[j] > x[j - 1];
		hv[j] = gt ? x[j] : x[j - 1];
		ha[j] = gt ? j : j - 1;
	}
	// Vertical: the first of rows r−1, r, r+1 whose maximum is strictly
	// larger; the first and last rows have two.
	for (int i = w; i < n - w; i++) {
		float mv = hv[i - w];
		int32_t kv = ha[i - w];
		int gt = hv[i] > mv;
		mv = gt ? hv[i] : mv;
		kv = gt ? ha[i] : kv;
		gt = hv[i + w] > mv;
		mv = gt ? hv[i + w] : mv;
		kv = gt ? ha[i + w] : kv;
		y[i] = mv;
		arg[i] = kv;
	}
	for (int c = 0; c < w; c++) {
		int i = c, j = n - w + c;
		int gt = hv[i + w] > hv[i];
		y[i] = gt ? hv[i + w] : hv[i];
		arg[i] = gt ? ha[i + w] : ha[i];
		gt = hv[j] > hv[j - w];
		y[j] = gt ? hv[j] : hv[j - w];
		arg[j] = gt ? ha[j] : ha[j - w];
	}
}

// maxpool3s2 is the 3×3, stride 2, padding 1 max pool of one h×w plane
// with h and w even (≥ 2), the reduction cells' pool. Output column o
// reads input columns 2o−1, 2o, 2o+1, so with w = 2·ow the flat output
// index j reads flat inputs 2j−1, 2j, 2j+1: one flat loop again, wrong
// only at o = 0 (it reads the previous row's last pixel), redone below;
// rows likewise (row 2o+1 always exists).
AI void maxpool3s2(int h, int w, const float *restrict x, float *restrict y, int32_t *restrict arg,
		float *restrict hv, int32_t *restrict ha) {
	const int ow = w / 2, oh = h / 2, n = h * ow;
	for (int j = 1; j < n; j++)
		first3(x[2 * j - 1], x[2 * j], x[2 * j + 1], 2 * j - 1, &hv[j], &ha[j]);
	for (int r = 0; r < h; r++) {
		int j = r * ow, i = r * w;
		int gt = x[i + 1] > x[i];
		hv[j] = gt ? x[i + 1] : x[i];
		ha[j] = gt ? i + 1 : i;
	}
	for (int c = 0; c < ow; c++) {
		int gt = hv[ow + c] > hv[c];
		y[c] = gt ? hv[ow + c] : hv[c];
		arg[c] = gt ? ha[ow + c] : ha[c];
	}
	for (int o = 1; o < oh; o++) {
		const float *restrict h0 = hv + (ptrdiff_t)(2 * o - 1) * ow;
		const int32_t *restrict a0 = ha + (ptrdiff_t)(2 * o - 1) * ow;
		float *restrict yr = y + (ptrdiff_t)o * ow;
		int32_t *restrict ar = arg + (ptrdiff_t)o * ow;
		for (int c = 0; c < ow; c++) {
			float mv = h0[c];
			int32_t kv = a0[c];
			int gt = h0[ow + c] > mv;
			mv = gt ? h0[ow + c] : mv;
			kv = gt ? a0[ow + c] : kv;
			gt = h0[2 * ow + c] > mv;
			mv = gt ? h0[2 * ow + c] : mv;
			kv = gt ? a0[2 * ow + c] : kv;
			yr[c] = mv;
			ar[c] = kv;
		}
	}
}

CLONES int rd_maxpool_forward(rd_pool q, const float *x, float *y, int32_t *arg, int lo, int hi) {
	scratch sc;
	if (mkscratch(&sc, q, 1))
		return -1;
	if (q.k == 3 && q.s == 1 && q.p == 1 && q.h >= 2 && q.w >= 2) {
		const int hw = q.h * q.w;
		for (int pl = lo; pl < hi; pl++)
			maxpool3(q.h, q.w, x + (ptrdiff_t)pl * hw, y + (ptrdiff_t)pl * hw, arg + (ptrdiff_t)pl * hw, sc.hv, sc.ha);
		free(sc.mem);
		return 0;
	}
	if (q.k == 3 && q.s == 2 && q.p == 1 && q.h >= 2 && q.w >= 2 && q.h % 2 == 0 && q.w % 2 == 0) {
		const int hw = q.h * q.w, ohw = q.oh * q.ow;
		for (int pl = lo; pl < hi; pl++)
			maxpool3s2(q.h, q.w, x + (ptrdiff_t)pl * hw, y + (ptrdiff_t)pl * ohw, arg + (ptrdiff_t)pl * ohw, sc.hv, sc.ha);
		free(sc.mem);
		return 0;
	}
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

// avgpool3s2 is the 3×3, stride 2, padding 1 average pool of one h×w
// plane with h and w even (≥ 2), the reduction cells' pool, flat as
// maxpool3s2; every sum is the general code's, term by term from +0, and
// each output divided by its window's pixel count (4, 6 or 9).
AI void avgpool3s2(int h, int w, const float *restrict x, float *restrict y, float *restrict hv) {
	const int ow = w / 2, oh = h / 2, n = h * ow;
	for (int j = 1; j < n; j++)
		hv[j] = ((0.0f + x[2 * j - 1]) + x[2 * j]) + x[2 * j + 1];
	for (int r = 0; r < h; r++) {
		int i = r * w;
		hv[r * ow] = (0.0f + x[i]) + x[i + 1];
	}
	for (int c = 0; c < ow; c++)
		y[c] = (hv[c] + hv[ow + c]) / (float)(2 * (c == 0 ? 2 : 3));
	for (int o = 1; o < oh; o++) {
		const float *restrict h0 = hv + (ptrdiff_t)(2 * o - 1) * ow;
		float *restrict yr = y + (ptrdiff_t)o * ow;
		for (int c = 0; c < ow; c++)
			yr[c] = ((h0[c] + h0[ow + c]) + h0[2 * ow + c]) / (float)(3 * (c == 0 ? 2 : 3));
	}
}

CLONES int rd_avgpool_forward(rd_pool q, const float *x, float *y, int lo, int hi) {
	scratch sc;
	if (mkscratch(&sc, q, 0))
		return -1;
	if (q.k == 3 && q.s == 2 && q.p == 1 && q.h >= 2 && q.w >= 2 && q.h % 2 == 0 && q.w % 2 == 0) {
		const int hw = q.h * q.w, ohw = q.oh * q.ow;
		for (int pl = lo; pl < hi; pl++)
			avgpool3s2(q.h, q.w, x + (ptrdiff_t)pl * hw, y + (ptrdiff_t)pl * ohw, sc.hv);
		free(sc.mem);
		return 0;
	}
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

// avgpool3s2_backward adds the input gradient of avgpool3s2 to dx. Row
// 2o of the column pass gets output row o alone; row 2o+1 gets rows o and
// o+1 (when it exists), in that order, each term g/count added to +0 as
// in the general code; columns likewise into dx.
AI void avgpool3s2_backward(int h, int w, const float *restrict dy, float *restrict dx, float *restrict hv) {
	const int ow = w / 2, oh = h / 2;
	for (int o = 0; o < oh; o++) {
		const float *restrict g = dy + (ptrdiff_t)o * ow;
		float *restrict even = hv + (ptrdiff_t)(2 * o) * ow, *restrict odd = even + ow;
		const float nr = o == 0 ? 2 : 3;
		if (o + 1 < oh) {
			const float *restrict g1 = g + ow;
			for (int c = 0; c < ow; c++) {
				float nc = c == 0 ? 2 : 3;
				even[c] = 0.0f + g[c] / (nr * nc);
				odd[c] = (0.0f + g[c] / (nr * nc)) + g1[c] / (3 * nc);
			}
		} else {
			for (int c = 0; c < ow; c++) {
				float nc = c == 0 ? 2 : 3;
				even[c] = 0.0f + g[c] / (nr * nc);
				odd[c] = 0.0f + g[c] / (nr * nc);
			}
		}
	}
	for (int r = 0; r < h; r++) {
		const float *restrict hr = hv + (ptrdiff_t)r * ow;
		float *restrict d = dx + (ptrdiff_t)r * w;
		for (int c = 0; c + 1 < ow; c++) {
			d[2 * c] += hr[c];
			d[2 * c + 1] = (d[2 * c + 1] + hr[c]) + hr[c + 1];
		}
		d[w - 2] += hr[ow - 1];
		d[w - 1] += hr[ow - 1];
	}
}

CLONES int rd_avgpool_backward(rd_pool q, const float *dy, float *dx, int lo, int hi) {
	scratch sc;
	if (mkscratch(&sc, q, 0))
		return -1;
	if (q.k == 3 && q.s == 2 && q.p == 1 && q.h >= 2 && q.w >= 2 && q.h % 2 == 0 && q.w % 2 == 0) {
		const int hw = q.h * q.w, ohw = q.oh * q.ow;
		for (int pl = lo; pl < hi; pl++)
			avgpool3s2_backward(q.h, q.w, dy + (ptrdiff_t)pl * ohw, dx + (ptrdiff_t)pl * hw, sc.hv);
		free(sc.mem);
		return 0;
	}
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
