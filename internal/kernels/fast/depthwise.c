//go:build cgo

// Depthwise conv kernels: the per-plane work of depthwise.go in C, so gcc
// vectorises it. Each public function is compiled three times (AVX-512,
// AVX2, baseline x86-64) and picks its clone at load time.
//
// Every plane is first copied into a zero-padded scratch buffer; then all
// taps of all outputs lie inside the buffer and no loop has border cases.
// For a column stride sw > 1 each padded row is stored as sw phases (the
// columns ≡ 0, 1, … mod sw, one after another), so input column
// ox·sw + kx·dw is element ox + kx·dw/sw of phase kx·dw mod sw: every tap
// of a strided conv reads contiguous memory too.
//
// Determinism: sums are written in a fixed order and the package is built
// with -std=c11 (ISO C: no fp contraction into FMAs) and without
// -ffast-math, so gcc may neither reorder nor fuse them; all three clones
// give the same bits. The filter gradient
// sums in eight explicit lanes (lane i takes the outputs ox ≡ i mod 8),
// which vectorises without reassociation.

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "depthwise.h"

#define AI static inline __attribute__((always_inline))
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// slack floats after each buffer, so an 8-wide load at the last tap of a
// row stays inside it (the lanes past the row are masked off).
enum { LANES = 8, SLACK = LANES };

// The 8-float vectors never cross a function boundary (load8 is always
// inlined), so the ABI gcc warns about does not arise.
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v8 __attribute__((vector_size(LANES * sizeof(float))));
typedef int v8i __attribute__((vector_size(LANES * sizeof(int))));

AI v8 load8(const float *p) {
	v8 v;
	memcpy(&v, p, sizeof v);
	return v;
}

// layout is an h×w plane inside a zero-padded rows×cols buffer at row
// top, column left; padded (r, col) is at r·rp + (col mod sw)·pwh + col/sw.
typedef struct {
	int h, w, top, left, rows, sw, pwh, rp;
} layout;

static layout mklayout(int h, int w, int top, int left, int rows, int cols, int sw) {
	layout l = {h, w, top, left, rows, sw, (cols + sw - 1) / sw, 0};
	l.rp = sw * l.pwh;
	return l;
}

static size_t layout_len(layout l) { return (size_t)l.rows * l.rp + SLACK; }

// xlayout is the forward layout: the input padded by ph, pw on all sides.
static layout xlayout(const rd_dw *p) {
	return mklayout(p->h, p->w, p->ph, p->pw, p->h + 2 * p->ph, p->w + 2 * p->pw, p->sw);
}

// phase0 is the first column c ≥ 0 of the plane that lands in phase ph.
AI int phase0(layout l, int ph) { return ((ph - l.left) % l.sw + l.sw) % l.sw; }

// fill copies src into buf's interior; the border must already be zero
// (only the interior is ever written).
AI void fill(float *restrict buf, const float *restrict src, layout l) {
	for (int r = 0; r < l.h; r++) {
		float *row = buf + (ptrdiff_t)(r + l.top) * l.rp;
		const float *s = src + (ptrdiff_t)r * l.w;
		if (l.sw == 1) {
			memcpy(row + l.left, s, (size_t)l.w * sizeof(float));
			continue;
		}
		if (l.sw == 2) {
			// Columns 2k and 2k+1 go to pair2's a[k] and b[k].
			float *restrict a = row + (l.left % 2) * l.pwh + l.left / 2;
			float *restrict b = row + (1 - l.left % 2) * l.pwh + (l.left + 1) / 2;
			int k = 0;
			for (; k < l.w / 2; k++) {
				a[k] = s[2 * k];
				b[k] = s[2 * k + 1];
			}
			if (l.w % 2)
				a[k] = s[2 * k];
			continue;
		}
		for (int ph = 0; ph < l.sw; ph++) {
			int c0 = phase0(l, ph), n = (l.w - c0 + l.sw - 1) / l.sw;
			float *restrict d = row + ph * l.pwh + (c0 + l.left) / l.sw;
			for (int k = 0; k < n; k++)
				d[k] = s[c0 + l.sw * k];
		}
	}
}

// unfill writes (add == 0) or adds buf's interior to dst.
AI void unfill(float *restrict dst, const float *restrict buf, layout l, int add) {
	for (int r = 0; r < l.h; r++) {
		const float *row = buf + (ptrdiff_t)(r + l.top) * l.rp;
		float *restrict d = dst + (ptrdiff_t)r * l.w;
		if (l.sw == 2) {
			// The inverse of fill's pairs.
			const float *restrict a = row + (l.left % 2) * l.pwh + l.left / 2;
			const float *restrict b = row + (1 - l.left % 2) * l.pwh + (l.left + 1) / 2;
			int k = 0;
			if (add) {
				for (; k < l.w / 2; k++) {
					d[2 * k] += a[k];
					d[2 * k + 1] += b[k];
				}
			} else {
				for (; k < l.w / 2; k++) {
					d[2 * k] = a[k];
					d[2 * k + 1] = b[k];
				}
			}
			if (l.w % 2)
				d[2 * k] = add ? d[2 * k] + a[k] : a[k];
			continue;
		}
		for (int ph = 0; ph < l.sw; ph++) {
			int c0 = phase0(l, ph), n = (l.w - c0 + l.sw - 1) / l.sw;
			const float *restrict s = row + ph * l.pwh + (c0 + l.left) / l.sw;
			if (add) {
				for (int k = 0; k < n; k++)
					d[c0 + l.sw * k] += s[k];
			} else {
				for (int k = 0; k < n; k++)
					d[c0 + l.sw * k] = s[k];
			}
		}
	}
}

// tap is the offset in a padded buffer of tap (ky, kx) from the output's
// own position.
#define TAP(ky, kx) ((ptrdiff_t)(ky) * DH * rp + ((kx) * DW % SW) * pwh + (kx) * DW / SW)

// FLAT_W and FLAT_MAX bound the planes corr_flat takes: rows narrower
// than one AVX-512 vector, and a scratch of at most 4 KiB.
enum { FLAT_W = 16, FLAT_MAX = 1024 };

// flat_off turns corr_flat off, so a test can hold it against the row
// loops (rd_dw_set_flat).
static int flat_off;

void rd_dw_set_flat(int on) { flat_off = !on; }

// corr_flat is corr_fused at unit stride for narrow planes (8×8 after two
// reductions): the outputs are computed along the padded buffer's rows
// flattened into one loop of (oh-1)·rp + ow values, which fills the
// vectors where rows of ow values would not; the columns past ow are
// computed into a scratch and dropped. Each output's sum is corr_fused's,
// term for term, so the bits are the same.
AI void corr_flat(float *restrict out, int oh, int ow, const float *restrict in, int rp,
		  const float *restrict taps, const int ADD, const int KH, const int KW, const int DH,
		  const int DW) {
	float t[FLAT_MAX];
	int m = (oh - 1) * rp + ow;
	for (int f = 0; f < m; f++) {
		float s = -0.0f;
#pragma GCC unroll 8
		for (int ky = 0; ky < KH; ky++) {
#pragma GCC unroll 8
			for (int kx = 0; kx < KW; kx++)
				s += taps[ky * KW + kx] * in[f + ky * DH * rp + kx * DW];
		}
		t[f] = s;
	}
	for (int oy = 0; oy < oh; oy++) {
		float *restrict o = out + (ptrdiff_t)oy * ow;
		const float *r = t + oy * rp;
		for (int ox = 0; ox < ow; ox++)
			o[ox] = ADD ? o[ox] + r[ox] : r[ox];
	}
}

// corr_fused sets (ADD == 0) or adds out[oy][ox] = Σ taps[ky][kx]·in at
// (oy·SH + ky·DH, ox·SW + kx·DW) for an oh×ow out, all taps of one output
// summed in a register. Called with constant sizes, the tap loops unroll
// and the ox loop vectorises.
AI void corr_fused(float *restrict out, int oh, int ow, const float *restrict in, int rp, int pwh,
		   const float *restrict taps, const int ADD, const int KH, const int KW, const int SH,
		   const int SW, const int DH, const int DW) {
	if (!flat_off && SH == 1 && SW == 1 && ow < FLAT_W && oh * rp <= FLAT_MAX) {
		corr_flat(out, oh, ow, in, rp, taps, ADD, KH, KW, DH, DW);
		return;
	}
	for (int oy = 0; oy < oh; oy++) {
		float *restrict o = out + (ptrdiff_t)oy * ow;
		const float *restrict r = in + (ptrdiff_t)oy * SH * rp;
		for (int ox = 0; ox < ow; ox++) {
			float s = -0.0f; // s + -0 is s exactly, so gcc folds the first add
#pragma GCC unroll 8
			for (int ky = 0; ky < KH; ky++) {
#pragma GCC unroll 8
				for (int kx = 0; kx < KW; kx++)
					s += taps[ky * KW + kx] * r[TAP(ky, kx) + ox];
			}
			o[ox] = ADD ? o[ox] + s : s;
		}
	}
}

// corr_taps is corr_fused for any sizes: one pass over each output row per
// tap, so the ox loop still vectorises.
AI void corr_taps(float *restrict out, int oh, int ow, const float *restrict in, int rp, int pwh,
		  const float *restrict taps, int add, int KH, int KW, int SH, int SW, int DH, int DW) {
	for (int oy = 0; oy < oh; oy++) {
		float *restrict o = out + (ptrdiff_t)oy * ow;
		const float *r = in + (ptrdiff_t)oy * SH * rp;
		if (!add)
			memset(o, 0, (size_t)ow * sizeof(float));
		for (int ky = 0; ky < KH; ky++) {
			for (int kx = 0; kx < KW; kx++) {
				const float *restrict a = r + TAP(ky, kx);
				float t = taps[ky * KW + kx];
				for (int ox = 0; ox < ow; ox++)
					o[ox] += t * a[ox];
			}
		}
	}
}

// The specialised shapes: square K×K filters, stride S, dilation D.
#define KEY(k, s, d) ((k) * 100 + (s) * 10 + (d))
#define CASES(X) X(3, 1, 1) X(3, 1, 2) X(3, 2, 1) X(3, 2, 2) X(5, 1, 1) X(5, 1, 2) X(5, 2, 1) X(5, 2, 2)

// key is the KEY of a specialised shape, or 0.
static int key(int kh, int kw, int sh, int sw, int dh, int dw) {
	if (kh != kw || sh != sw || dh != dw || (kh != 3 && kh != 5) || sh > 2 || dh > 2)
		return 0;
	return KEY(kh, sh, dh);
}

// corr is corr_fused for the specialised shapes, else corr_taps.
AI void corr(float *out, int oh, int ow, const float *in, int rp, int pwh, const float *taps, int add,
	     int k, int kh, int kw, int sh, int sw, int dh, int dw) {
	switch (k) {
#define X(K, S, D)                                                                     \
	case KEY(K, S, D):                                                             \
		if (add)                                                               \
			corr_fused(out, oh, ow, in, rp, pwh, taps, 1, K, K, S, S, D, D); \
		else                                                                   \
			corr_fused(out, oh, ow, in, rp, pwh, taps, 0, K, K, S, S, D, D); \
		return;
		CASES(X)
#undef X
	}
	corr_taps(out, oh, ow, in, rp, pwh, taps, add, kh, kw, sh, sw, dh, dw);
}

// scatter adds taps[ky][kx]·g[oy][ox] to buf at (oy·SH + ky·DH,
// ox·SW + kx·DW): the transpose of corr, one pass over g's row per tap.
AI void scatter(float *restrict buf, int rp, int pwh, const float *restrict g, int oh, int ow,
		const float *restrict taps, int KH, int KW, int SH, int SW, int DH, int DW) {
	for (int oy = 0; oy < oh; oy++) {
		const float *restrict gr = g + (ptrdiff_t)oy * ow;
		float *r = buf + (ptrdiff_t)oy * SH * rp;
		for (int ky = 0; ky < KH; ky++) {
			for (int kx = 0; kx < KW; kx++) {
				float *restrict d = r + TAP(ky, kx);
				float t = taps[ky * KW + kx];
				for (int ox = 0; ox < ow; ox++)
					d[ox] += t * gr[ox];
			}
		}
	}
}

// gather2_row writes the padded row R (R ≡ PAR mod 2) of the input
// gradient of a stride-2 conv into tmp, in phase layout (two phases of
// pwh): column 2j + ph is Σ taps[ky][kx]·g[(R - ky·D)/2][j - kx·D/2] over
// the ky with R - ky·D even and the kx with kx·D ≡ ph mod 2. g is in gp,
// a zero-padded copy (tg rows above, lg columns left, pitch gpw) wide and
// tall enough that every index is inside it. With constant sizes the tap
// sets are known at compile time and all taps of one element are summed
// in a register, so each element is stored once.
AI void gather2_row(float *restrict tmp, int pwh, int R, const float *restrict gp, int gpw, int tg, int lg,
		    const float *restrict taps, const int PAR, const int K, const int D) {
#pragma GCC unroll 2
	for (int ph = 0; ph < 2; ph++) {
		float *restrict o = tmp + ph * pwh;
		int any = 0;
#pragma GCC unroll 8
		for (int ky = 0; ky < K; ky++)
#pragma GCC unroll 8
			for (int kx = 0; kx < K; kx++)
				any |= (PAR - ky * D) % 2 == 0 && kx * D % 2 == ph;
		if (!any) {
			memset(o, 0, (size_t)pwh * sizeof(float));
			continue;
		}
		for (int j = 0; j < pwh; j++) {
			float s = -0.0f;
#pragma GCC unroll 8
			for (int ky = 0; ky < K; ky++) {
				if ((PAR - ky * D) % 2 != 0)
					continue;
				const float *gr = gp + (ptrdiff_t)(tg + (R - ky * D) / 2) * gpw + lg;
#pragma GCC unroll 8
				for (int kx = 0; kx < K; kx++)
					if (kx * D % 2 == ph)
						s += taps[ky * K + kx] * gr[j - kx * D / 2];
			}
			o[j] = s;
		}
	}
}

// gather2 writes (add == 0) or adds the h×w input gradient of a K×K,
// stride 2, dilation D conv row by row via gather2_row; l is the padded
// input's layout (phase length pwh).
AI void gather2(float *restrict dx, layout l, const float *restrict gp, int gpw, int tg, int lg,
		float *restrict tmp, const float *restrict taps, int add, const int K, const int D) {
	for (int r = 0; r < l.h; r++) {
		int R = r + l.top;
		if (R % 2 == 0)
			gather2_row(tmp, l.pwh, R, gp, gpw, tg, lg, taps, 0, K, D);
		else
			gather2_row(tmp, l.pwh, R, gp, gpw, tg, lg, taps, 1, K, D);
		layout row = l;
		row.h = 1, row.top = 0;
		unfill(dx + (ptrdiff_t)r * l.w, tmp, row, add);
	}
}

// dots adds to acc[ky·KW + kx] lane i the products g[oy][ox]·in at
// (oy·SH + ky·DH, ox·SW + kx·DW) for ox ≡ i mod 8, in oy, ox order. in
// needs SLACK floats after its last row. The lanes are copied into a
// local array so that, with constant sizes, they live in registers.
AI void dots(v8 *restrict acc, v8 *restrict a, const float *restrict g, int oh, int ow,
	     const float *restrict in, int rp, int pwh, const int KH, const int KW, const int SH,
	     const int SW, const int DH, const int DW) {
	const int rem = ow % LANES, full = ow - rem;
	v8i mask;
	for (int i = 0; i < LANES; i++)
		mask[i] = i < rem ? -1 : 0;
#pragma GCC unroll 32
	for (int t = 0; t < KH * KW; t++)
		a[t] = acc[t];
	for (int oy = 0; oy < oh; oy++) {
		const float *restrict gr = g + (ptrdiff_t)oy * ow;
		const float *restrict r = in + (ptrdiff_t)oy * SH * rp;
		for (int ox = 0; ox < full; ox += LANES) {
			v8 gv = load8(gr + ox);
#pragma GCC unroll 8
			for (int ky = 0; ky < KH; ky++) {
#pragma GCC unroll 8
				for (int kx = 0; kx < KW; kx++)
					a[ky * KW + kx] += gv * load8(r + TAP(ky, kx) + ox);
			}
		}
		if (rem) {
			v8 gv = {0};
			for (int i = 0; i < rem; i++)
				gv[i] = gr[full + i];
#pragma GCC unroll 8
			for (int ky = 0; ky < KH; ky++) {
#pragma GCC unroll 8
				for (int kx = 0; kx < KW; kx++) {
					// Lanes past the row read other columns or the
					// slack; the mask makes them +0 even if they hold
					// an Inf.
					v8 iv = (v8)((v8i)load8(r + TAP(ky, kx) + full) & mask);
					a[ky * KW + kx] += gv * iv;
				}
			}
		}
	}
#pragma GCC unroll 32
	for (int t = 0; t < KH * KW; t++)
		acc[t] = a[t];
}

#undef TAP

CLONES int rd_dw_forward(rd_dw p, const float *x, const float *w, float *y, int lo, int hi) {
	layout l = xlayout(&p);
	float *buf = calloc(layout_len(l), sizeof(float));
	if (!buf)
		return -1;
	ptrdiff_t hw = (ptrdiff_t)p.h * p.w, ohw = (ptrdiff_t)p.oh * p.ow;
	int kk = p.kh * p.kw, k = key(p.kh, p.kw, p.sh, p.sw, p.dh, p.dw);
	for (int pl = lo; pl < hi; pl++) {
		fill(buf, x + pl * hw, l);
		corr(y + pl * ohw, p.oh, p.ow, buf, l.rp, l.pwh, w + (pl % p.c) * kk, 0, k, p.kh, p.kw,
		     p.sh, p.sw, p.dh, p.dw);
	}
	free(buf);
	return 0;
}

// With unit stride the input gradient is the correlation of dy, padded by
// (K-1)·D - P, with the flipped filter: the forward's fused gather. The
// specialised stride-2 shapes gather too (gather2). Otherwise each output
// scatters w·dy into a padded buffer whose interior then goes to dx.
CLONES int rd_dw_backward_data(rd_dw p, const float *dy, const float *w, float *dx, int lo, int hi,
			       int add) {
	int qh = (p.kh - 1) * p.dh - p.ph, qw = (p.kw - 1) * p.dw - p.pw, kk = p.kh * p.kw;
	int gather = p.sh == 1 && p.sw == 1 && qh >= 0 && qw >= 0;
	layout l = gather ? mklayout(p.oh, p.ow, qh, qw, p.h + (p.kh - 1) * p.dh, p.w + (p.kw - 1) * p.dw, 1)
			  : xlayout(&p);
	// Specialised stride-2 shapes gather from a padded copy of dy (layout
	// g), a row at a time through tmp (layout l's row); see gather2_row.
	int k2 = key(p.kh, p.kw, p.sh, p.sw, p.dh, p.dw);
	int strided2 = !gather && k2 != 0 && p.sh == 2;
	int tg = ((p.kh - 1) * p.dh + 1) / 2, lg = ((p.kw - 1) * p.dw) / 2;
	layout g = mklayout(p.oh, p.ow, tg, lg, tg + (p.h + 2 * p.ph) / 2 + 1, lg + l.pwh, 1);
	size_t n = strided2 ? layout_len(g) + (size_t)l.rp : layout_len(l);
	float *buf = calloc(n + (size_t)kk, sizeof(float));
	if (!buf)
		return -1;
	float *flip = buf + n;
	ptrdiff_t hw = (ptrdiff_t)p.h * p.w, ohw = (ptrdiff_t)p.oh * p.ow;
	int k = key(p.kh, p.kw, 1, 1, p.dh, p.dw);
	for (int pl = lo; pl < hi; pl++) {
		const float *wc = w + (pl % p.c) * kk, *dyp = dy + pl * ohw;
		float *dxp = dx + pl * hw;
		if (strided2) {
			fill(buf, dyp, g);
			float *tmp = buf + layout_len(g);
			switch (k2) {
#define X(K, S, D)                                                                         \
	case KEY(K, S, D):                                                                 \
		gather2(dxp, l, buf, g.rp, tg, lg, tmp, wc, add, K, D);                    \
		break;
				X(3, 2, 1) X(3, 2, 2) X(5, 2, 1) X(5, 2, 2)
#undef X
			}
			continue;
		}
		if (gather) {
			for (int i = 0; i < kk; i++)
				flip[i] = wc[kk - 1 - i];
			fill(buf, dyp, l);
			corr(dxp, p.h, p.w, buf, l.rp, l.pwh, flip, add, k, p.kh, p.kw, 1, 1, p.dh, p.dw);
			continue;
		}
		memset(buf, 0, (size_t)l.rows * l.rp * sizeof(float));
		scatter(buf, l.rp, l.pwh, dyp, p.oh, p.ow, wc, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw);
		unfill(dxp, buf, l, add);
	}
	free(buf);
	return 0;
}

// Each channel sums its images in order into eight lanes per tap; the
// lanes are added in order at the end. Nothing depends on how the
// channels are split.
CLONES int rd_dw_backward_filter(rd_dw p, const float *x, const float *dy, float *dw, int lo, int hi) {
	layout l = xlayout(&p);
	int kk = p.kh * p.kw, k = key(p.kh, p.kw, p.sh, p.sw, p.dh, p.dw);
	float *buf = calloc(layout_len(l), sizeof(float));
	v8 *acc = aligned_alloc(sizeof(v8), 2 * (size_t)kk * sizeof(v8));
	if (!buf || !acc) {
		free(buf);
		free(acc);
		return -1;
	}
	v8 *tmp = acc + kk;
	ptrdiff_t hw = (ptrdiff_t)p.h * p.w, ohw = (ptrdiff_t)p.oh * p.ow;
	for (int c = lo; c < hi; c++) {
		memset(acc, 0, (size_t)kk * sizeof(v8));
		for (int n = 0; n < p.n; n++) {
			ptrdiff_t pl = (ptrdiff_t)n * p.c + c;
			const float *g = dy + pl * ohw;
			fill(buf, x + pl * hw, l);
			switch (k) {
#define X(K, S, D)                                                                            \
	case KEY(K, S, D): {                                                                  \
		v8 a[K * K];                                                                  \
		dots(acc, a, g, p.oh, p.ow, buf, l.rp, l.pwh, K, K, S, S, D, D);              \
		break;                                                                        \
	}
				CASES(X)
#undef X
			default:
				dots(acc, tmp, g, p.oh, p.ow, buf, l.rp, l.pwh, p.kh, p.kw, p.sh, p.sw, p.dh,
				     p.dw);
			}
		}
		for (int t = 0; t < kk; t++) {
			float s = acc[t][0];
			for (int i = 1; i < LANES; i++)
				s += acc[t][i];
			dw[c * kk + t] += s;
		}
	}
	free(buf);
	free(acc);
	return 0;
}
