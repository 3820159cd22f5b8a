package rnnnet

import (
	"math/rand/v2"
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels/fast"
)

// benchWStep times one w step of the search (forward and backward of the
// loss plus TAR) on random tokens; bench/pytorch/rnn_bench.py is its twin.
func benchWStep(b *testing.B, vocab, hidden, batch, n int) {
	rng := rand.New(rand.NewPCG(1, 1))
	cfg := SearchConfig(vocab)
	cfg.Hidden = hidden
	m, err := New(cfg, nil, rng)
	if err != nil {
		b.Fatal(err)
	}
	x := make([]int32, n*batch)
	y := make([]int32, n*batch)
	for i := range x {
		x[i], y[i] = int32(rng.IntN(vocab)), int32(rng.IntN(vocab))
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

// BenchmarkWStep is the reference's size: V 10 000, D 300, batch 256, window 35.
func BenchmarkWStep(b *testing.B) { benchWStep(b, 10000, 300, 256, 35) }

// BenchmarkWStepB64 is the same at batch 64.
func BenchmarkWStepB64(b *testing.B) { benchWStep(b, 10000, 300, 64, 35) }

// BenchmarkSmallStep is a demo size: 64 units, batch 32.
func BenchmarkSmallStep(b *testing.B) { benchWStep(b, 10000, 64, 32, 35) }
