// The C kernels of package vec for one instruction set. vec_cgo.go
// includes this file once per set, after defining
//
//	SFX   the suffix of every name here (base, avx2, avx512)
//	ATTR  the function attribute that selects the set
//	VW    the bytes in one native vector register (16, 32, 64)
//
// and LANES, BLOCK, pair and table. There is no include guard on purpose.
//
// Vectors are GCC generic vectors of the native width, so every operation
// maps to one instruction (wider generic vectors are lowered badly,
// comparisons even to scalar code). Loads and stores may be unaligned.
// Element-wise kernels run VL values at a time, then a scalar tail.
// Reductions keep LANES float32 lanes in NA vectors (value j of a block in
// lane j % LANES), whatever VW is, so every set gives the same bits.
// vec_cgo.go turns off floating-point contraction, so a*b+c is two
// roundings as in the Go kernels.

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define N(f) CAT(f, SFX)

typedef float N(vf) __attribute__((vector_size(VW), aligned(4), may_alias));
typedef int N(vi) __attribute__((vector_size(VW), aligned(4), may_alias));
#define vf N(vf)
#define vi N(vi)
#define VL (VW / 4)
#define NA (LANES / VL)
#define LD(p) (*(const vf *)(p))
#define ST(p) (*(vf *)(p))
#define INLINE ATTR static inline __attribute__((always_inline))

ATTR static void N(relu)(float *d, const float *s, size_t n) {
	const vf z = {0};
	size_t i = 0;
	for (; i + VL <= n; i += VL) {
		vf v = LD(s + i);
		ST(d + i) = (vf)((vi)v & ~(v <= z)); // NaN compares false: kept
	}
	for (; i < n; i++)
		d[i] = s[i] <= 0 ? 0.0f : s[i];
}

// mask_b sets g = dy where the mask m holds, else +0: m != 0 if neq, else
// m > 0.
INLINE void N(mask_b)(float *d, const float *m, const float *g, size_t n, int add, int neq) {
	const vf z = {0};
	size_t i = 0;
	for (; i + VL <= n; i += VL) {
		vf mv = LD(m + i);
		vi k;
		if (neq)
			k = mv != z;
		else
			k = mv > z;
		vf r = (vf)((vi)LD(g + i) & k);
		if (add)
			r = LD(d + i) + r;
		ST(d + i) = r;
	}
	for (; i < n; i++) {
		float r = (neq ? m[i] != 0 : m[i] > 0) ? g[i] : 0.0f;
		d[i] = add ? d[i] + r : r;
	}
}

ATTR static void N(mask)(float *d, const float *m, const float *g, size_t n, int add, int neq) {
	if (neq) {
		if (add)
			N(mask_b)(d, m, g, n, 1, 1);
		else
			N(mask_b)(d, m, g, n, 0, 1);
	} else {
		if (add)
			N(mask_b)(d, m, g, n, 1, 0);
		else
			N(mask_b)(d, m, g, n, 0, 0);
	}
}

ATTR static void N(axpy)(float *d, float a, const float *s, size_t n, int add) {
	size_t i = 0;
	if (add) {
		for (; i + VL <= n; i += VL)
			ST(d + i) = LD(d + i) + a * LD(s + i);
		for (; i < n; i++)
			d[i] = d[i] + a * s[i];
	} else {
		for (; i + VL <= n; i += VL)
			ST(d + i) = a * LD(s + i);
		for (; i < n; i++)
			d[i] = a * s[i];
	}
}

// fold adds LANES lanes in order in double.
INLINE double N(fold)(const float *l) {
	double r = 0;
	for (int j = 0; j < LANES; j++)
		r += l[j];
	return r;
}

// The block reductions take at most BLOCK values.

INLINE pair N(sumsq_blk)(const float *x, size_t m, float k) {
	const vf z = {0};
	vf s[NA], q[NA];
	for (int u = 0; u < NA; u++)
		s[u] = q[u] = z;
	size_t i = 0;
	for (; i + LANES <= m; i += LANES)
		for (int u = 0; u < NA; u++) {
			vf a = LD(x + i + u * VL) - k;
			s[u] += a;
			q[u] += a * a;
		}
	float sl[LANES], ql[LANES];
	memcpy(sl, s, sizeof sl);
	memcpy(ql, q, sizeof ql);
	for (size_t j = 0; i < m; i++, j++) {
		float a = x[i] - k;
		sl[j] += a;
		ql[j] += a * a;
	}
	return (pair){N(fold)(sl), N(fold)(ql)};
}

// dots_blk sums g and g·x, with g = dy masked where m == 0 (ReLUGrad's
// mask, applied on the fly) if MASK.
INLINE pair N(dots_blk)(const float *g, const float *m, const float *x, size_t n, const int MASK) {
	const vf z = {0};
	vf s[NA], d[NA];
	for (int u = 0; u < NA; u++)
		s[u] = d[u] = z;
	size_t i = 0;
	for (; i + LANES <= n; i += LANES)
		for (int u = 0; u < NA; u++) {
			vf a = LD(g + i + u * VL);
			if (MASK)
				a = (vf)((vi)a & (LD(m + i + u * VL) != z));
			s[u] += a;
			d[u] += a * LD(x + i + u * VL);
		}
	float sl[LANES], dl[LANES];
	memcpy(sl, s, sizeof sl);
	memcpy(dl, d, sizeof dl);
	for (size_t j = 0; i < n; i++, j++) {
		float a = g[i];
		if (MASK)
			a = m[i] != 0 ? a : 0.0f;
		sl[j] += a;
		dl[j] += a * x[i];
	}
	return (pair){N(fold)(sl), N(fold)(dl)};
}

INLINE double N(dot_blk)(const float *a, const float *b, size_t m) {
	const vf z = {0};
	vf d[NA];
	for (int u = 0; u < NA; u++)
		d[u] = z;
	size_t i = 0;
	for (; i + LANES <= m; i += LANES)
		for (int u = 0; u < NA; u++)
			d[u] += LD(a + i + u * VL) * LD(b + i + u * VL);
	float dl[LANES];
	memcpy(dl, d, sizeof dl);
	for (size_t j = 0; i < m; i++, j++)
		dl[j] += a[i] * b[i];
	return N(fold)(dl);
}

ATTR static double N(dot)(const float *a, const float *b, size_t n) {
	double d = 0;
	for (size_t lo = 0; lo < n; lo += BLOCK) {
		size_t m = n - lo < BLOCK ? n - lo : BLOCK;
		d += N(dot_blk)(a + lo, b + lo, m);
	}
	return d;
}

// dot_axpy adds each block's Σ s·x to acc in order, as dot does from
// acc, and, unless d is NULL, sets d = a·s (or adds it) block by block
// while s is in cache.
ATTR static double N(dot_axpy)(float *d, float a, const float *s, const float *x, size_t n, int add, double acc) {
	for (size_t lo = 0; lo < n; lo += BLOCK) {
		size_t m = n - lo < BLOCK ? n - lo : BLOCK;
		acc += N(dot_blk)(s + lo, x + lo, m);
		if (d)
			N(axpy)(d + lo, a, s + lo, m, add);
	}
	return acc;
}

ATTR static pair N(sumsq)(const float *x, size_t n, size_t hw, size_t stride, float k) {
	pair r = {0, 0};
	for (size_t p = 0; p < n; p++)
		for (size_t lo = 0; lo < hw; lo += BLOCK) {
			size_t m = hw - lo < BLOCK ? hw - lo : BLOCK;
			pair b = N(sumsq_blk)(x + p * stride + lo, m, k);
			r.a += b.a;
			r.b += b.b;
		}
	return r;
}

INLINE pair N(dots_b)(const float *g, const float *m, const float *x, size_t n, size_t hw, size_t stride,
		const int MASK) {
	pair r = {0, 0};
	for (size_t p = 0; p < n; p++)
		for (size_t lo = 0; lo < hw; lo += BLOCK) {
			size_t k = hw - lo < BLOCK ? hw - lo : BLOCK, o = p * stride + lo;
			pair b = N(dots_blk)(g + o, MASK ? m + o : m, x + o, k, MASK);
			r.a += b.a;
			r.b += b.b;
		}
	return r;
}

// dots masks g by m != 0 when m is not NULL.
ATTR static pair N(dots)(const float *g, const float *m, const float *x, size_t n, size_t hw, size_t stride) {
	if (m)
		return N(dots_b)(g, m, x, n, hw, stride, 1);
	return N(dots_b)(g, m, x, n, hw, stride, 0);
}

INLINE void N(affine_b)(float *d, const float *x, size_t n, size_t hw, size_t stride, float scale, float shift,
		const int RELU) {
	const vf z = {0};
	for (size_t p = 0; p < n; p++) {
		float *dp = d + p * stride;
		const float *xp = x + p * stride;
		size_t i = 0;
		for (; i + VL <= hw; i += VL) {
			vf r = LD(xp + i) * scale + shift;
			if (RELU)
				r = (vf)((vi)r & ~(r <= z)); // as relu
			ST(dp + i) = r;
		}
		for (; i < hw; i++) {
			float r = xp[i] * scale + shift;
			dp[i] = RELU && r <= 0 ? 0.0f : r;
		}
	}
}

// affine applies ReLU to the result if relu.
ATTR static void N(affine)(float *d, const float *x, size_t n, size_t hw, size_t stride, float scale, float shift,
		int relu) {
	if (relu)
		N(affine_b)(d, x, n, hw, stride, scale, shift, 1);
	else
		N(affine_b)(d, x, n, hw, stride, scale, shift, 0);
}

INLINE void N(affine_grad_b)(float *d, const float *g, const float *m, const float *x, size_t n, size_t hw,
		size_t stride, float k, float p, float q, const int ADD, const int MASK) {
	const vf z = {0};
	for (size_t pl = 0; pl < n; pl++) {
		float *dp = d + pl * stride;
		const float *gp = g + pl * stride, *mp = MASK ? m + pl * stride : m, *xp = x + pl * stride;
		size_t i = 0;
		for (; i + VL <= hw; i += VL) {
			vf gv = LD(gp + i);
			if (MASK)
				gv = (vf)((vi)gv & (LD(mp + i) != z));
			vf r = (k * gv + p * LD(xp + i)) + q;
			if (ADD)
				r = LD(dp + i) + r;
			ST(dp + i) = r;
		}
		for (; i < hw; i++) {
			float gv = MASK && !(mp[i] != 0) ? 0.0f : gp[i];
			float r = (k * gv + p * xp[i]) + q;
			dp[i] = ADD ? dp[i] + r : r;
		}
	}
}

// affine_grad masks g by m != 0 when m is not NULL.
ATTR static void N(affine_grad)(float *d, const float *g, const float *m, const float *x, size_t n, size_t hw,
		size_t stride, float k, float p, float q, int add) {
	if (m) {
		if (add)
			N(affine_grad_b)(d, g, m, x, n, hw, stride, k, p, q, 1, 1);
		else
			N(affine_grad_b)(d, g, m, x, n, hw, stride, k, p, q, 0, 1);
	} else {
		if (add)
			N(affine_grad_b)(d, g, m, x, n, hw, stride, k, p, q, 1, 0);
		else
			N(affine_grad_b)(d, g, m, x, n, hw, stride, k, p, q, 0, 0);
	}
}

static const table N(tab) = {N(relu), N(mask), N(axpy), N(dot), N(sumsq), N(dots), N(affine), N(affine_grad), N(dot_axpy)};

#undef vf
#undef vi
#undef VL
#undef NA
#undef LD
#undef ST
#undef INLINE
#undef N
#undef CAT
#undef CAT_
