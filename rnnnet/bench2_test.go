package rnnnet

import (
	"math/rand/v2"
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels/fast"
)

func BenchmarkSmallStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	cfg := SearchConfig(10000)
	cfg.Hidden = 64
	m, _ := New(cfg, nil, rng)
	const batch, n = 32, 35
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
}
