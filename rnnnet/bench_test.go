package rnnnet

import (
	"math/rand/v2"
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels/fast"
)

// BenchmarkWStep times one w step of the search at the reference's size
// (V 10 000, D 300, batch 256, window 35): forward, backward, clip, SGD.
func BenchmarkWStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	m, err := New(SearchConfig(10000), nil, rng)
	if err != nil {
		b.Fatal(err)
	}
	const batch, n = 256, 35
	x := make([]int32, n*batch)
	y := make([]int32, n*batch)
	for i := range x {
		x[i], y[i] = int32(rng.IntN(10000)), int32(rng.IntN(10000))
	}
	tp := autograd.NewTape(fast.Backend{})
	m.Alpha.SetRequires(false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tp.Reset()
		for _, w := range m.Weights() {
			w.ZeroGrad()
		}
		out := m.Forward(tp, x, y, n, nil, m.DrawMasks(rng, batch))
		tp.Backward(tp.Sum([]*autograd.Var{out.Loss, out.TAR}, []float32{1, 1e-3}))
	}
	b.ReportMetric(float64(tp.MemoryBytes())/1e9, "GB-arena")
}
