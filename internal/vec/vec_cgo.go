//go:build cgo

package vec

/*
#cgo CFLAGS: -O3
// No fused multiply-add: every product is rounded, as in the Go kernels
// (cgo does not accept -ffp-contract=off as a flag).
#pragma GCC optimize ("fp-contract=off")
#include <stddef.h>
#include <string.h>

enum { LANES = 32, BLOCK = 1024 };

typedef struct { double a, b; } pair;

// table holds one instruction set's kernels.
typedef struct {
	void (*relu)(float *, const float *, size_t);
	void (*mask)(float *, const float *, const float *, size_t, int, int);
	void (*axpy)(float *, float, const float *, size_t, int);
	double (*dot)(const float *, const float *, size_t);
	pair (*sumsq)(const float *, size_t, size_t, size_t, float);
	pair (*dots)(const float *, const float *, const float *, size_t, size_t, size_t);
	void (*affine)(float *, const float *, size_t, size_t, size_t, float, float, int);
	void (*affine_grad)(float *, const float *, const float *, const float *, size_t, size_t, size_t, float, float, float, int);
	double (*dot_axpy)(float *, float, const float *, const float *, size_t, int, double);
} table;

// The AVX variants exist on x86 only; elsewhere every level is the
// baseline (16-byte vectors, e.g. NEON).
#if defined(__x86_64__) || defined(__i386__)
#define SFX avx512
#define ATTR __attribute__((target("avx512f")))
#define VW 64
#include "kernels.h"
#undef SFX
#undef ATTR
#undef VW

#define SFX avx2
#define ATTR __attribute__((target("avx2")))
#define VW 32
#include "kernels.h"
#undef SFX
#undef ATTR
#undef VW

#endif

#define SFX base
#define ATTR
#define VW 16
#include "kernels.h"
#undef SFX
#undef ATTR
#undef VW

// Dispatch: one table per instruction set, chosen once at start-up.
// Levels: 0 baseline x86-64 (SSE2), 1 AVX2, 2 AVX-512F. Not GCC's
// target_clones: with an explicit table the tests run every set on an
// AVX-512 machine, including the baseline that a CPU without AVX2 gets.
// __builtin_cpu_supports also checks that the OS saves the wide registers.
#if defined(__x86_64__) || defined(__i386__)
static const table *tabs[3] = {&tab_base, &tab_avx2, &tab_avx512};
#else
static const table *tabs[3] = {&tab_base, &tab_base, &tab_base};
#endif
static const table *K = &tab_base;

static int vec_cpu_level(void) {
#if !defined(__x86_64__) && !defined(__i386__)
	return 0;
#else
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f")) return 2;
	if (__builtin_cpu_supports("avx2")) return 1;
	return 0;
#endif
}
static void vec_set_level(int l) { K = tabs[l]; }

static void vec_relu(float *d, const float *s, size_t n) { K->relu(d, s, n); }
static void vec_mask(float *d, const float *m, const float *g, size_t n, int add, int neq) { K->mask(d, m, g, n, add, neq); }
static void vec_axpy(float *d, float a, const float *s, size_t n, int add) { K->axpy(d, a, s, n, add); }
static double vec_dot(const float *a, const float *b, size_t n) { return K->dot(a, b, n); }
static double vec_dot_axpy(float *d, float a, const float *s, const float *x, size_t n, int add, double acc) {
	return K->dot_axpy(d, a, s, x, n, add, acc); }
static pair vec_sumsq(const float *x, size_t n, size_t hw, size_t st, float k) { return K->sumsq(x, n, hw, st, k); }
static pair vec_dots(const float *g, const float *m, const float *x, size_t n, size_t hw, size_t st) {
	return K->dots(g, m, x, n, hw, st); }
static void vec_affine(float *d, const float *x, size_t n, size_t hw, size_t st, float a, float b, int relu) {
	K->affine(d, x, n, hw, st, a, b, relu); }
static void vec_affine_grad(float *d, const float *g, const float *m, const float *x, size_t n, size_t hw,
		size_t st, float k, float p, float q, int add) { K->affine_grad(d, g, m, x, n, hw, st, k, p, q, add); }
*/
import "C"

import "unsafe"

// cpuLevel is the best level (0 base, 1 AVX2, 2 AVX-512F) this CPU and
// OS support; init selects it.
var cpuLevel = int(C.vec_cpu_level())

func init() { C.vec_set_level(C.int(cpuLevel)) }

// setLevel makes the kernels of level l (≤ cpuLevel) current, for tests;
// it is not safe to call while kernels run.
func setLevel(l int) {
	if l < 0 || l > cpuLevel {
		panic("vec: setLevel: level not supported by this CPU")
	}
	C.vec_set_level(C.int(l))
}

// small is the length below which the Go loop beats the cost of a cgo
// call (measured crossover: 40 to 64 values); the results are the same
// either way.
const small = 64

func relu(dst, src []float32) {
	if len(src) < small {
		goReLU(dst, src)
	} else {
		cReLU(dst, src)
	}
}

func reluGrad(dst, y, dy []float32, add bool) {
	if len(dy) < small {
		goReLUGrad(dst, y, dy, add)
	} else {
		cReLUGrad(dst, y, dy, add)
	}
}

func reluMaskGrad(dst, x, dy []float32, add bool) {
	if len(dy) < small {
		goReLUMaskGrad(dst, x, dy, add)
	} else {
		cReLUMaskGrad(dst, x, dy, add)
	}
}

func axpy(dst []float32, a float32, src []float32, add bool) {
	if len(src) < small {
		goAxpy(dst, a, src, add)
	} else {
		cAxpy(dst, a, src, add)
	}
}

func dot(a, b []float32) float64 {
	if len(a) < small {
		return goDot(a, b)
	}
	return cDot(a, b)
}

func dotAxpy(dst []float32, a float32, src, x []float32, add bool, acc float64) float64 {
	if len(src) < small {
		return goDotAxpy(dst, a, src, x, add, acc)
	}
	return cDotAxpy(dst, a, src, x, add, acc)
}

func sumSq(x []float32, n, hw, stride int, k float32) (s, q float64) {
	if n*hw < small {
		return goSumSq(x, n, hw, stride, k)
	}
	return cSumSq(x, n, hw, stride, k)
}

func dots(dy, x []float32, n, hw, stride int) (s, d float64) {
	if n*hw < small {
		return goDots(dy, x, n, hw, stride)
	}
	return cDots(dy, x, n, hw, stride)
}

func dotsReLU(dy, y, x []float32, n, hw, stride int) (s, d float64) {
	if n*hw < small {
		return goDotsReLU(dy, y, x, n, hw, stride)
	}
	return cDotsReLU(dy, y, x, n, hw, stride)
}

func affine(dst, x []float32, n, hw, stride int, scale, shift float32) {
	if n*hw < small {
		goAffine(dst, x, n, hw, stride, scale, shift)
	} else {
		cAffine(dst, x, n, hw, stride, scale, shift)
	}
}

func affineReLU(dst, x []float32, n, hw, stride int, scale, shift float32) {
	if n*hw < small {
		goAffineReLU(dst, x, n, hw, stride, scale, shift)
	} else {
		cAffineReLU(dst, x, n, hw, stride, scale, shift)
	}
}

func affineGrad(dst, dy, x []float32, n, hw, stride int, k, p, q float32, add bool) {
	if n*hw < small {
		goAffineGrad(dst, dy, x, n, hw, stride, k, p, q, add)
	} else {
		cAffineGrad(dst, dy, x, n, hw, stride, k, p, q, add)
	}
}

func affineGradReLU(dst, dy, y, x []float32, n, hw, stride int, k, p, q float32, add bool) {
	if n*hw < small {
		goAffineGradReLU(dst, dy, y, x, n, hw, stride, k, p, q, add)
	} else {
		cAffineGradReLU(dst, dy, y, x, n, hw, stride, k, p, q, add)
	}
}

func weightedSum(dst []float32, w []float32, xs [][]float32) { weightedSumBy(axpy, dst, w, xs) }

// The C kernels, on checked arguments of any length (nothing is read
// when a length is 0).

func fp(s []float32) *C.float { return (*C.float)(unsafe.Pointer(unsafe.SliceData(s))) }

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

func cReLU(dst, src []float32) { C.vec_relu(fp(dst), fp(src), C.size_t(len(src))) }

func cReLUGrad(dst, y, dy []float32, add bool) {
	C.vec_mask(fp(dst), fp(y), fp(dy), C.size_t(len(dy)), cbool(add), 1)
}

func cReLUMaskGrad(dst, x, dy []float32, add bool) {
	C.vec_mask(fp(dst), fp(x), fp(dy), C.size_t(len(dy)), cbool(add), 0)
}

func cAxpy(dst []float32, a float32, src []float32, add bool) {
	C.vec_axpy(fp(dst), C.float(a), fp(src), C.size_t(len(src)), cbool(add))
}

func cDot(a, b []float32) float64 { return float64(C.vec_dot(fp(a), fp(b), C.size_t(len(a)))) }

func cDotAxpy(dst []float32, a float32, src, x []float32, add bool, acc float64) float64 {
	return float64(C.vec_dot_axpy(fp(dst), C.float(a), fp(src), fp(x), C.size_t(len(src)), cbool(add), C.double(acc)))
}

func cSumSq(x []float32, n, hw, stride int, k float32) (s, q float64) {
	r := C.vec_sumsq(fp(x), C.size_t(n), C.size_t(hw), C.size_t(stride), C.float(k))
	return float64(r.a), float64(r.b)
}

func cDots(dy, x []float32, n, hw, stride int) (s, d float64) {
	r := C.vec_dots(fp(dy), nil, fp(x), C.size_t(n), C.size_t(hw), C.size_t(stride))
	return float64(r.a), float64(r.b)
}

func cDotsReLU(dy, y, x []float32, n, hw, stride int) (s, d float64) {
	r := C.vec_dots(fp(dy), fp(y), fp(x), C.size_t(n), C.size_t(hw), C.size_t(stride))
	return float64(r.a), float64(r.b)
}

func cAffine(dst, x []float32, n, hw, stride int, scale, shift float32) {
	C.vec_affine(fp(dst), fp(x), C.size_t(n), C.size_t(hw), C.size_t(stride), C.float(scale), C.float(shift), 0)
}

func cAffineReLU(dst, x []float32, n, hw, stride int, scale, shift float32) {
	C.vec_affine(fp(dst), fp(x), C.size_t(n), C.size_t(hw), C.size_t(stride), C.float(scale), C.float(shift), 1)
}

func cAffineGrad(dst, dy, x []float32, n, hw, stride int, k, p, q float32, add bool) {
	C.vec_affine_grad(fp(dst), fp(dy), nil, fp(x), C.size_t(n), C.size_t(hw), C.size_t(stride),
		C.float(k), C.float(p), C.float(q), cbool(add))
}

func cAffineGradReLU(dst, dy, y, x []float32, n, hw, stride int, k, p, q float32, add bool) {
	C.vec_affine_grad(fp(dst), fp(dy), fp(y), fp(x), C.size_t(n), C.size_t(hw), C.size_t(stride),
		C.float(k), C.float(p), C.float(q), cbool(add))
}

func cWeightedSum(dst []float32, w []float32, xs [][]float32) { weightedSumBy(cAxpy, dst, w, xs) }

// CPUFeatures names the instruction set the kernels run with on this CPU:
// "avx512f", "avx2" or "sse2" (the x86-64 baseline; also on other
// architectures, where the C is compiled for the baseline).
func CPUFeatures() string { return [...]string{"sse2", "avx2", "avx512f"}[cpuLevel] }
