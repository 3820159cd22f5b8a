package kerneltest

import (
	"math/rand/v2"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels"
)

// benchBatch is the batch of the network's search phase; -short cuts it
// (and the big GEMM) so the slow reference finishes quickly.
func benchBatch() int {
	if testing.Short() {
		return 8
	}
	return 64
}

// reportGFLOPS sets the benchmark's GFLOPS metric from flops per op.
func reportGFLOPS(b *testing.B, flopsPerOp float64) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(flopsPerOp*float64(b.N)/s/1e9, "GFLOPS")
	}
}

// BenchmarkSgemm1024 times a square 1024³ GEMM (512³ with -short).
func BenchmarkSgemm1024(b *testing.B, be kernels.Backend) {
	n := 1024
	if testing.Short() {
		n = 512
	}
	rng := rand.New(rand.NewPCG(1, 1))
	x, y, z := randSlice(rng, n*n), randSlice(rng, n*n), make([]float32, n*n)
	b.ResetTimer()
	for range b.N {
		be.Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
	}
	reportGFLOPS(b, 2*float64(n)*float64(n)*float64(n))
}

// BenchmarkSgemmBatch times the per-image GEMMs the network does, one call
// per image for a whole batch: 1x1 convs and the small square products.
func BenchmarkSgemmBatch(b *testing.B, be kernels.Backend) {
	for _, sz := range []struct {
		name    string
		m, n, k int
	}{{"16x16x1024", 16, 1024, 16}, {"32x32x256", 32, 256, 32}, {"64x64x64", 64, 64, 64}} {
		b.Run(sz.name, func(b *testing.B) {
			batch := benchBatch()
			rng := rand.New(rand.NewPCG(2, 2))
			w := randSlice(rng, sz.m*sz.k)
			x, y := randSlice(rng, batch*sz.k*sz.n), make([]float32, batch*sz.m*sz.n)
			b.ResetTimer()
			for range b.N {
				for i := range batch {
					be.Sgemm(false, false, sz.m, sz.n, sz.k, 1, w, sz.k, x[i*sz.k*sz.n:], sz.n, 0, y[i*sz.m*sz.n:], sz.n)
				}
			}
			reportGFLOPS(b, 2*float64(batch*sz.m*sz.n*sz.k))
		})
	}
}

// benchConv times forward, backward data and backward filter of p; flops
// are 2·N·K·OH·OW·(C/G)·KH·KW per pass, three passes.
func benchConv(b *testing.B, be kernels.Backend, p kernels.Conv) {
	p.N = benchBatch()
	rng := rand.New(rand.NewPCG(3, 3))
	x, w, dy := randSlice(rng, p.XLen()), randSlice(rng, p.WLen()), randSlice(rng, p.YLen())
	y, dx, dw := make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		be.ConvForward(p, x, w, y)
		be.ConvBackwardData(p, dy, w, dx, true)
		be.ConvBackwardFilter(p, x, dy, dw)
	}
	pass := 2 * float64(p.N*p.K*p.OutH()*p.OutW()*(p.C/p.Groups)*p.KH*p.KW)
	reportGFLOPS(b, 3*pass)
}

// BenchmarkConv3x3 times a regular 3x3 conv fwd+bwd, N=64, 16→16, 32×32.
func BenchmarkConv3x3(b *testing.B, be kernels.Backend) {
	benchConv(b, be, conv(16, 32, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1))
}

// BenchmarkConv1x1 times a pointwise conv fwd+bwd, N=64, 16→16, 32×32.
func BenchmarkConv1x1(b *testing.B, be kernels.Backend) {
	benchConv(b, be, conv(16, 32, 32, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1))
}

// BenchmarkDepthwise3x3 times a depthwise 3x3 conv fwd+bwd, N=64, C=16, 32×32.
func BenchmarkDepthwise3x3(b *testing.B, be kernels.Backend) {
	benchConv(b, be, conv(16, 32, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16))
}

// BenchmarkDilated5x5 times a dilated depthwise 5x5 conv (pad 4, dilation
// 2) fwd+bwd, N=64, C=16, 32×32.
func BenchmarkDilated5x5(b *testing.B, be kernels.Backend) {
	benchConv(b, be, conv(16, 32, 32, 16, 5, 5, 1, 1, 4, 4, 2, 2, 16))
}

// benchPool times forward and backward of a 3x3 stride 1 pad 1 pool over
// N=64, C=16, 32×32. Flops count one operation per window pixel per pass
// (max backward: one add per output).
func benchPool(b *testing.B, be kernels.Backend, isMax bool) {
	p := kernels.Pool{N: benchBatch(), C: 16, H: 32, W: 32, K: 3, S: 1, P: 1}
	rng := rand.New(rand.NewPCG(4, 4))
	xn, yn := p.N*p.C*p.H*p.W, p.N*p.C*p.OutH()*p.OutW()
	x, dy := randSlice(rng, xn), randSlice(rng, yn)
	y, dx, arg := make([]float32, yn), make([]float32, xn), make([]int32, yn)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if isMax {
			be.MaxPoolForward(p, x, y, arg)
			be.MaxPoolBackward(p, dy, arg, dx)
		} else {
			be.AvgPoolForward(p, x, y)
			be.AvgPoolBackward(p, dy, dx)
		}
	}
	flops := float64(yn * p.K * p.K)
	if isMax {
		flops += float64(yn)
	} else {
		flops *= 2
	}
	reportGFLOPS(b, flops)
}

// BenchmarkMaxPool3x3 times a 3x3 max pool fwd+bwd.
func BenchmarkMaxPool3x3(b *testing.B, be kernels.Backend) { benchPool(b, be, true) }

// BenchmarkAvgPool3x3 times a 3x3 average pool fwd+bwd.
func BenchmarkAvgPool3x3(b *testing.B, be kernels.Backend) { benchPool(b, be, false) }

// BenchmarkDepthwiseShapes times the depthwise convs of the search space
// (S2: separable and dilated 3x3/5x5, stride 1 in normal cells and 2 in
// reduction cells) at the stage widths and plane sizes of the network,
// fwd+bwd, N=64.
func BenchmarkDepthwiseShapes(b *testing.B, be kernels.Backend) {
	for _, s := range []struct {
		name string
		p    kernels.Conv
	}{
		{"sep3x3_s1_C16_32x32", conv(16, 32, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16)},
		{"sep3x3_s2_C16_32x32", conv(16, 32, 32, 16, 3, 3, 2, 2, 1, 1, 1, 1, 16)},
		{"sep5x5_s1_C16_32x32", conv(16, 32, 32, 16, 5, 5, 1, 1, 2, 2, 1, 1, 16)},
		{"dil3x3_s1_C16_32x32", conv(16, 32, 32, 16, 3, 3, 1, 1, 2, 2, 2, 2, 16)},
		{"dil3x3_s2_C16_32x32", conv(16, 32, 32, 16, 3, 3, 2, 2, 2, 2, 2, 2, 16)},
		{"dil5x5_s2_C16_32x32", conv(16, 32, 32, 16, 5, 5, 2, 2, 4, 4, 2, 2, 16)},
		{"sep3x3_s1_C32_16x16", conv(32, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 32)},
		{"sep5x5_s2_C32_16x16", conv(32, 16, 16, 32, 5, 5, 2, 2, 2, 2, 1, 1, 32)},
		{"dil5x5_s1_C32_16x16", conv(32, 16, 16, 32, 5, 5, 1, 1, 4, 4, 2, 2, 32)},
		{"sep3x3_s1_C64_8x8", conv(64, 8, 8, 64, 3, 3, 1, 1, 1, 1, 1, 1, 64)},
		{"dil3x3_s1_C64_8x8", conv(64, 8, 8, 64, 3, 3, 1, 1, 2, 2, 2, 2, 64)},
		{"sep5x5_s1_C64_8x8", conv(64, 8, 8, 64, 5, 5, 1, 1, 2, 2, 1, 1, 64)},
		{"sep3x3_s1_C32_7x7", conv(32, 7, 7, 32, 3, 3, 1, 1, 1, 1, 1, 1, 32)}, // demo size, 28×28 reduced twice
		{"dil5x5_s1_C32_7x7", conv(32, 7, 7, 32, 5, 5, 1, 1, 4, 4, 2, 2, 32)},
	} {
		b.Run(s.name, func(b *testing.B) { benchConv(b, be, s.p) })
	}
}
