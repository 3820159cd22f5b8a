package vec

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchImpl is one implementation to time; with cgo, vec_cgo_test.go adds
// the C kernels at each level the CPU supports.
type benchImpl struct {
	name  string
	k     kernels
	level int // C level to select first; -1 for none
}

var benchImpls = []benchImpl{{"go", goKernels, -1}}

// bench runs f once per implementation, reporting GB/s for bytes moved per
// call.
func bench(b *testing.B, bytes int64, f func(k kernels)) {
	for _, im := range benchImpls {
		b.Run(im.name, func(b *testing.B) {
			if im.level >= 0 {
				setBenchLevel(im.level)
				defer setBenchLevel(-1)
			}
			b.SetBytes(bytes)
			for b.Loop() {
				f(im.k)
			}
		})
	}
}

const benchN = 1 << 20

// The plane layout of one batch-norm channel: 64 images of 32×32, 16
// channels.
const benchPlanes, benchHW, benchStride = 64, 1024, 16 * 1024

func benchData(n int) (x, y, z []float32) {
	r := rand.New(rand.NewPCG(7, 8))
	return data(r, n, false), data(r, n, false), data(r, n, false)
}

func BenchmarkReLU(b *testing.B) {
	x, _, d := benchData(benchN)
	bench(b, 8*benchN, func(k kernels) { k.relu(d, x) })
}

func BenchmarkReLUGrad(b *testing.B) {
	y, dy, d := benchData(benchN)
	goReLU(y, y)
	bench(b, 16*benchN, func(k kernels) { k.reluGrad(d, y, dy, true) })
}

func BenchmarkAxpy(b *testing.B) {
	x, _, d := benchData(benchN)
	bench(b, 12*benchN, func(k kernels) { k.axpy(d, 1e-3, x, true) })
}

func BenchmarkDot(b *testing.B) {
	x, y, _ := benchData(benchN)
	bench(b, 8*benchN, func(k kernels) { k.dot(x, y) })
}

func BenchmarkSumSq(b *testing.B) {
	x, _, _ := benchData(benchN)
	b.Run("flat", func(b *testing.B) { bench(b, 4*benchN, func(k kernels) { k.sumSq(x, 1, benchN, benchN, 0.5) }) })
	b.Run("planes", func(b *testing.B) {
		bench(b, 4*benchPlanes*benchHW, func(k kernels) { k.sumSq(x, benchPlanes, benchHW, benchStride, 0.5) })
	})
}

func BenchmarkDots(b *testing.B) {
	x, y, _ := benchData(benchN)
	b.Run("flat", func(b *testing.B) { bench(b, 8*benchN, func(k kernels) { k.dots(y, x, 1, benchN, benchN) }) })
	b.Run("planes", func(b *testing.B) {
		bench(b, 8*benchPlanes*benchHW, func(k kernels) { k.dots(y, x, benchPlanes, benchHW, benchStride) })
	})
}

func BenchmarkAffine(b *testing.B) {
	x, _, d := benchData(benchN)
	b.Run("planes", func(b *testing.B) {
		bench(b, 8*benchPlanes*benchHW, func(k kernels) { k.affine(d, x, benchPlanes, benchHW, benchStride, 1.1, 0.1) })
	})
}

func BenchmarkAffineGrad(b *testing.B) {
	x, y, d := benchData(benchN)
	b.Run("flat", func(b *testing.B) {
		bench(b, 16*benchN, func(k kernels) { k.affineGrad(d, y, x, 1, benchN, benchN, 0.9, 0.01, 0.001, true) })
	})
	b.Run("planes", func(b *testing.B) {
		bench(b, 16*benchPlanes*benchHW, func(k kernels) {
			k.affineGrad(d, y, x, benchPlanes, benchHW, benchStride, 0.9, 0.01, 0.001, true)
		})
	})
}

func BenchmarkWeightedSum(b *testing.B) {
	const n = 1 << 18 // one 64×16×16×16 edge output
	r := rand.New(rand.NewPCG(9, 10))
	xs := make([][]float32, 8)
	w := make([]float32, 8)
	for i := 1; i < 8; i++ { // xs[0] is the "none" op
		xs[i], w[i] = data(r, n, false), float32(i)/28
	}
	d := make([]float32, n)
	bench(b, 4*8*n, func(k kernels) { k.weightedSum(d, w, xs) })
}

// BenchmarkSmall times ReLU on short slices, where the cost of a cgo call
// shows (it sets the small cutoff).
func BenchmarkSmall(b *testing.B) {
	for _, n := range []int{16, 32, 64, 128, 256} {
		x, _, d := benchData(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) { bench(b, int64(8*n), func(k kernels) { k.relu(d, x) }) })
	}
}

// BenchmarkWeightedSumTiled is one worker's half of a 64×16×32×32 mixed-op
// output with two terms (S1's edges): the tiled WeightedSum against one
// Axpy per term over the whole half (autograd.WeightedSum's loop before
// it used WeightedSum), same bits.
func BenchmarkWeightedSumTiled(b *testing.B) {
	const n = 1 << 19
	r := rand.New(rand.NewPCG(9, 11))
	xs, w := [][]float32{data(r, n, false), data(r, n, false)}, []float32{0.4, 0.6}
	d := make([]float32, n)
	b.Run("tiled", func(b *testing.B) {
		b.SetBytes(4 * 3 * n)
		for b.Loop() {
			WeightedSum(d, w, xs)
		}
	})
	b.Run("per-term", func(b *testing.B) {
		b.SetBytes(4 * 3 * n)
		for b.Loop() {
			Axpy(d, w[0], xs[0], false)
			Axpy(d, w[1], xs[1], true)
		}
	})
}

// BenchmarkBNReLU is one batch-norm channel (64 planes of 32×32) with the
// following ReLU: fused (AffineReLU forward; DotsReLU and AffineGradReLU
// backward) against the separate passes autograd made before, same bits.
func BenchmarkBNReLU(b *testing.B) {
	x, dy, d := benchData(benchN)
	y, g := make([]float32, benchN), make([]float32, benchN)
	goReLU(y, x)
	const n, hw, st = benchPlanes, benchHW, benchStride
	b.Run("forward/fused", func(b *testing.B) {
		for b.Loop() {
			AffineReLU(d, x, n, hw, st, 1.1, 0.1)
		}
	})
	b.Run("forward/separate", func(b *testing.B) {
		for b.Loop() {
			Affine(d, x, n, hw, st, 1.1, 0.1)
			for p := range n {
				ReLU(d[p*st:p*st+hw], d[p*st:p*st+hw])
			}
		}
	})
	b.Run("backward/fused", func(b *testing.B) {
		for b.Loop() {
			DotsReLU(dy, y, x, n, hw, st)
			AffineGradReLU(d, dy, y, x, n, hw, st, 0.9, 0.01, 0.001, true)
		}
	})
	b.Run("backward/separate", func(b *testing.B) {
		for b.Loop() {
			for p := range n { // the whole-tensor pass, this channel's share
				ReLUGrad(g[p*st:p*st+hw], y[p*st:p*st+hw], dy[p*st:p*st+hw], false)
			}
			Dots(g, x, n, hw, st)
			AffineGrad(d, g, x, n, hw, st, 0.9, 0.01, 0.001, true)
		}
	})
}

// BenchmarkDotAxpy is one worker's half of an S1 edge's backward (two
// terms of 64×16×32×32): DotAxpy tile by tile over both terms, as
// autograd.WeightedSum runs it, against Dot then Axpy per term over the
// whole half, as it ran before; same bits.
func BenchmarkDotAxpy(b *testing.B) {
	const n, tile = 1 << 19, 16 << 10
	r := rand.New(rand.NewPCG(9, 12))
	dy, xs := data(r, n, false), [][]float32{data(r, n, false), data(r, n, false)}
	dxs := [][]float32{make([]float32, n), make([]float32, n)}
	b.Run("fused", func(b *testing.B) {
		b.SetBytes(4 * 5 * n)
		for b.Loop() {
			var acc [2]float64
			for lo := 0; lo < n; lo += tile {
				for k := range xs {
					acc[k] = DotAxpy(dxs[k][lo:lo+tile], 0.5, dy[lo:lo+tile], xs[k][lo:lo+tile], false, acc[k])
				}
			}
		}
	})
	b.Run("separate", func(b *testing.B) {
		b.SetBytes(4 * 5 * n)
		for b.Loop() {
			for k := range xs {
				Dot(dy, xs[k])
				Axpy(dxs[k], 0.5, dy, false)
			}
		}
	})
}
