//go:build cgo && amd64

package benchmark

/*
#cgo CFLAGS: -O2
#include <immintrin.h>

// Each loop keeps 12 independent accumulators, more than the FMA latency
// (4–5 cycles) × pipes (2) that keeps every pipe busy, and returns their sum
// so that nothing is optimised away. One iteration is 12 fused
// multiply-adds of a full vector: 12 × lanes × 2 FLOPs.

#define BODY(T, FMA, SET1, ADD, STORE, LANES)                         \
	T a0 = SET1(1.0f), a1 = SET1(1.1f), a2 = SET1(1.2f), a3 = SET1(1.3f);     \
	T a4 = SET1(1.4f), a5 = SET1(1.5f), a6 = SET1(1.6f), a7 = SET1(1.7f);     \
	T a8 = SET1(1.8f), a9 = SET1(1.9f), a10 = SET1(2.0f), a11 = SET1(2.1f);  \
	const T m = SET1(0.999999f), c = SET1(1e-7f);                             \
	for (long i = 0; i < iters; i++) {                                        \
		a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c);            \
		a3 = FMA(a3, m, c); a4 = FMA(a4, m, c); a5 = FMA(a5, m, c);            \
		a6 = FMA(a6, m, c); a7 = FMA(a7, m, c); a8 = FMA(a8, m, c);            \
		a9 = FMA(a9, m, c); a10 = FMA(a10, m, c); a11 = FMA(a11, m, c);        \
	}                                                                         \
	T s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));  \
	s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));                              \
	float out[LANES];                                                         \
	STORE(out, s);                                                            \
	double r = 0;                                                             \
	for (int k = 0; k < LANES; k++) r += out[k];                              \
	return r;

__attribute__((target("avx512f"))) static double fma512(long iters) {
	BODY(__m512, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_storeu_ps, 16)
}

__attribute__((target("avx2,fma"))) static double fma256(long iters) {
	BODY(__m256, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_storeu_ps, 8)
}

// Without FMA a multiply and an add: 2 FLOPs per lane as well.
static inline __m128 muladd128(__m128 a, __m128 m, __m128 c) { return _mm_add_ps(_mm_mul_ps(a, m), c); }
static double fma128(long iters) {
	BODY(__m128, muladd128, _mm_set1_ps, _mm_add_ps, _mm_storeu_ps, 4)
}

// peak_lanes is the widest level the CPU and OS run: 16, 8 or 4 lanes.
static int peak_lanes(void) {
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f")) return 16;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 8;
	return 4;
}

static double peak_loop(int lanes, long iters) {
	switch (lanes) {
	case 16: return fma512(iters);
	case 8: return fma256(iters);
	}
	return fma128(iters);
}
*/
import "C"

// fmaLevels are the vector widths (FP32 lanes) whose loops this CPU runs,
// widest first: on parts that split 512-bit operations in two (AMD Zen 4)
// the 256-bit loop may be as fast, so both are timed.
func fmaLevels() []int {
	var out []int
	for _, l := range []int{16, 8, 4} {
		if l <= int(C.peak_lanes()) {
			out = append(out, l)
		}
	}
	return out
}

// fmaLoop runs iters iterations of the loop of the given width and returns
// the FP32 operations it did (and a sum that keeps the work alive).
func fmaLoop(lanes int, iters int64) (flops int64, sink float64) {
	sink = float64(C.peak_loop(C.int(lanes), C.long(iters)))
	return iters * 12 * int64(lanes) * 2, sink
}
