package rnnnet

import (
	"math"
	"slices"
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/hessian"
	"github.com/rdarts/rdarts/internal/kernels/fast"
)

// TestDominantEigenvalue compares Lanczos' answer with the top of the exact
// spectrum of the same kink-frozen Hessian, and checks that the model is
// left as it was.
func TestDominantEigenvalue(t *testing.T) {
	c := tinyCorpus(t)
	s, _ := runSearch(t, c, 1)
	m := s.Model
	b := s.EigenBatch(3)
	alpha := slices.Clone(m.Alpha.Value.Data)
	mean := slices.Clone(m.BN.Mean)
	const lambda = 1e-3
	r, err := m.DominantEigenvalue(fast.Backend{}, b, lambda, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(alpha, m.Alpha.Value.Data) || !slices.Equal(mean, m.BN.Mean) || m.Alpha.Requires || !m.Embed.Requires {
		t.Error("the model was not restored")
	}
	// The exact Hessian of the same function.
	tp := autograd.NewTape(fast.Backend{})
	tp.Kinks = &autograd.Kinks{}
	tp.Kinks.Record()
	grad := m.GradFunc(tp, b, lambda)
	a64 := make([]float64, len(alpha))
	for j, v := range alpha {
		a64[j] = float64(v)
	}
	if err := grad(a64, make([]float64, len(a64))); err != nil {
		t.Fatal(err)
	}
	tp.Kinks.Replay()
	h, _, err := hessian.Exact(grad, a64, 0)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := hessian.Spectrum(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Lanczos %.5g (%d products, converged %v), exact %.5g", r.Value, r.Products, r.Converged, spec[0])
	if math.Abs(r.Value-spec[0]) > 0.02*math.Abs(spec[0]) {
		t.Errorf("Lanczos %v, exact %v", r.Value, spec[0])
	}
}
