// Package vec holds vectorised element-wise kernels and reductions on
// float32 slices for the autodiff engine: ReLU and its gradients, axpy,
// dot products, the per-channel sums and affine maps of batch norm, and
// the weighted sum of a mixed op.
//
// # Implementations
//
// With cgo (the default), the work is done in C compiled three times, for
// AVX-512F, AVX2 and the x86-64 baseline (SSE2), and one of the three is
// picked once at start-up from the CPU (GCC's __builtin_cpu_supports, which
// also checks that the OS saves the vector registers). Without cgo
// (CGO_ENABLED=0) plain Go loops with the same semantics are used.
//
// # Rules
//
//   - Every function is single-threaded; callers split work across cores.
//   - Inputs are never modified; results go to dst or are returned. dst may
//     be the same slice as an input of the same layout (in-place), but must
//     not partly overlap one.
//   - Results are deterministic: the same inputs give bit-identical
//     outputs, on every run and with every implementation. The C variants
//     are compiled with -ffp-contract=off (no fused multiply-add) and the Go
//     loops round every product to float32 explicitly, so the AVX-512,
//     AVX2, SSE2 and Go versions agree to the last bit (tested).
//   - Length and layout mistakes panic with a message starting "vec: ",
//     checked before any work is done.
//
// # Reductions
//
// Sums (Dot, SumSq, Dots) cut each plane (Dot: the whole slice) into
// blocks of 1024 values. Within a block, value j goes to float32 lane
// j mod 32; the 32 lanes are then added in lane order in float64, and the
// block totals are added in float64 in order (plane by plane, block by
// block). For planes of at most 1024 values this is "float32 lanes within a
// plane, float64 across planes", as in the engine's batch norm.
//
// # Planes
//
// SumSq, Dots, Affine and AffineGrad work on n planes of hw contiguous
// values, plane i starting at x[i*stride], with stride ≥ hw: one channel c
// of an NCHW tensor is n=N, hw=H*W, stride=C*H*W, passed as the sub-slice
// starting at c*H*W. Slices must hold at least (n-1)*stride+hw values; the
// values between planes are neither read nor written.
//
// # Special values
//
// ReLU follows PyTorch: relu(NaN) = NaN and relu(-0) = +0. ReLUGrad passes
// dy where y != 0 (so also where y is NaN) and gives +0 elsewhere, even if
// dy is NaN or Inf there; ReLUMaskGrad passes dy where x > 0 and gives +0
// elsewhere, including where x is NaN.
package vec

import "fmt"

const (
	// lanes is the number of float32 accumulators of a reduction.
	lanes = 32
	// block is the number of values summed in float32 lanes before the
	// lanes are folded into float64.
	block = 1024
)

// ReLU sets dst = max(src, 0), with negatives and -0 mapped to +0 and NaN
// kept.
func ReLU(dst, src []float32) {
	sameLen("ReLU", len(dst), len(src))
	if len(dst) > 0 {
		relu(dst, src)
	}
}

// ReLUGrad sets g = dy where y != 0 and +0 elsewhere, with y the output of
// a ReLU; dst = g, or dst += g if add.
func ReLUGrad(dst, y, dy []float32, add bool) {
	sameLen("ReLUGrad", len(dst), len(y), len(dy))
	if len(dst) > 0 {
		reluGrad(dst, y, dy, add)
	}
}

// ReLUMaskGrad sets g = dy where x > 0 and +0 elsewhere, with x the input
// of a ReLU; dst = g, or dst += g if add.
func ReLUMaskGrad(dst, x, dy []float32, add bool) {
	sameLen("ReLUMaskGrad", len(dst), len(x), len(dy))
	if len(dst) > 0 {
		reluMaskGrad(dst, x, dy, add)
	}
}

// Axpy sets dst = a·src, or dst += a·src if add. The product is rounded to
// float32 before the addition.
func Axpy(dst []float32, a float32, src []float32, add bool) {
	sameLen("Axpy", len(dst), len(src))
	if len(dst) > 0 {
		axpy(dst, a, src, add)
	}
}

// Dot returns Σ a·b, summed as described in the package documentation.
func Dot(a, b []float32) float64 {
	sameLen("Dot", len(a), len(b))
	if len(a) == 0 {
		return 0
	}
	return dot(a, b)
}

// DotAxpy returns acc plus Σ src·x, and sets dst = a·src (or adds it, if
// add) unless dst is nil, in one pass over src: a weighted sum's backward
// (the weight's gradient and the term's). The blocks of the sum are added
// to acc one after another, so a slice cut into pieces of whole blocks
// and passed piece by piece, acc carried along, gives Dot's bits exactly
// (acc 0 first); the dst values are Axpy's.
func DotAxpy(dst []float32, a float32, src, x []float32, add bool, acc float64) float64 {
	if dst != nil {
		sameLen("DotAxpy", len(dst), len(src), len(x))
	} else {
		sameLen("DotAxpy", len(src), len(x))
	}
	if len(src) == 0 {
		return acc
	}
	return dotAxpy(dst, a, src, x, add, acc)
}

// SumSq returns s = Σ(x−k) and q = Σ(x−k)² over the planes of x. A shift k
// close to the mean (say, one value of the channel) keeps q accurate.
func SumSq(x []float32, n, hw, stride int, k float32) (s, q float64) {
	if !planes("SumSq", n, hw, stride, len(x)) {
		return 0, 0
	}
	return sumSq(x, n, hw, stride, k)
}

// Dots returns s = Σdy and d = Σdy·x over the planes of dy and x, which
// have the same layout.
func Dots(dy, x []float32, n, hw, stride int) (s, d float64) {
	if !planes("Dots", n, hw, stride, len(dy), len(x)) {
		return 0, 0
	}
	return dots(dy, x, n, hw, stride)
}

// DotsReLU is Dots of dy masked by a ReLU's output y, as ReLUGrad masks
// it (dy where y != 0, else +0), without writing the mask out: batch
// norm's backward with the following ReLU's gradient folded in. All three
// have the same layout.
func DotsReLU(dy, y, x []float32, n, hw, stride int) (s, d float64) {
	if !planes("DotsReLU", n, hw, stride, len(dy), len(y), len(x)) {
		return 0, 0
	}
	return dotsReLU(dy, y, x, n, hw, stride)
}

// Affine sets dst = x·scale + shift over the planes of x and dst (the
// product is rounded before the addition).
func Affine(dst, x []float32, n, hw, stride int, scale, shift float32) {
	if planes("Affine", n, hw, stride, len(dst), len(x)) {
		affine(dst, x, n, hw, stride, scale, shift)
	}
}

// AffineReLU is Affine followed by ReLU of dst, in one pass.
func AffineReLU(dst, x []float32, n, hw, stride int, scale, shift float32) {
	if planes("AffineReLU", n, hw, stride, len(dst), len(x)) {
		affineReLU(dst, x, n, hw, stride, scale, shift)
	}
}

// AffineGrad sets g = (k·dy + p·x) + q over the planes of dst, dy and x,
// evaluated in that order with every operation rounded to float32; dst = g,
// or dst += g if add.
func AffineGrad(dst, dy, x []float32, n, hw, stride int, k, p, q float32, add bool) {
	if planes("AffineGrad", n, hw, stride, len(dst), len(dy), len(x)) {
		affineGrad(dst, dy, x, n, hw, stride, k, p, q, add)
	}
}

// AffineGradReLU is AffineGrad with dy masked by a ReLU's output y as in
// DotsReLU.
func AffineGradReLU(dst, dy, y, x []float32, n, hw, stride int, k, p, q float32, add bool) {
	if planes("AffineGradReLU", n, hw, stride, len(dst), len(dy), len(y), len(x)) {
		affineGradReLU(dst, dy, y, x, n, hw, stride, k, p, q, add)
	}
}

// WeightedSum sets dst = Σ_k w[k]·xs[k], skipping nil xs[k]; at least one
// must be non-nil. The terms are added in order of k, each product rounded
// to float32 first, exactly as a first Axpy (add=false) followed by
// Axpy(add=true) for the rest.
func WeightedSum(dst []float32, w []float32, xs [][]float32) {
	if len(w) != len(xs) {
		panic(fmt.Sprintf("vec: WeightedSum: %d weights for %d inputs", len(w), len(xs)))
	}
	first := -1
	for i, x := range xs {
		if x == nil {
			continue
		}
		if len(x) != len(dst) {
			panic(fmt.Sprintf("vec: WeightedSum: input %d has length %d, dst %d", i, len(x), len(dst)))
		}
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		panic("vec: WeightedSum: every input is nil")
	}
	if len(dst) > 0 {
		weightedSum(dst, w, xs)
	}
}

// sameLen panics unless every length equals the first.
func sameLen(op string, n ...int) {
	for _, m := range n[1:] {
		if m != n[0] {
			panic(fmt.Sprintf("vec: %s: lengths %v differ", op, n))
		}
	}
}

// planes checks a plane layout against slice lengths and reports whether
// there is any work (n > 0 and hw > 0).
func planes(op string, n, hw, stride int, lens ...int) bool {
	if n < 0 || hw < 0 || stride < hw {
		panic(fmt.Sprintf("vec: %s: bad layout n=%d hw=%d stride=%d (want n, hw ≥ 0, stride ≥ hw)", op, n, hw, stride))
	}
	if n == 0 || hw == 0 {
		return false
	}
	need := (n-1)*stride + hw
	for _, l := range lens {
		if l < need {
			panic(fmt.Sprintf("vec: %s: slice of length %d, layout n=%d hw=%d stride=%d needs %d", op, l, n, hw, stride, need))
		}
	}
	return true
}
