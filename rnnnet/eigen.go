package rnnnet

import (
	"math/rand/v2"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/hessian"
	"github.com/rdarts/rdarts/internal/kernels"
)

// EigenBatch is the fixed validation batch of an eigen-analysis: one window
// of the validation stream, its starting hidden state and its dropout
// masks, so that α ↦ ∇_α L_val is a deterministic function.
type EigenBatch struct {
	X, Y   []int32
	N      int
	Hidden []float32 // nil: zeros
	Masks  *Masks
}

// EigenBatch returns the first BPTT window of the validation stream (as the
// α steps batch it), with a zero hidden state and masks drawn from a
// generator seeded by seed, apart from the search's own random stream.
func (s *Search) EigenBatch(seed uint64) *EigenBatch {
	x, y, n := s.search.Window(0, s.Settings.BPTT)
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	return &EigenBatch{X: x, Y: y, N: n, Masks: s.Model.DrawMasks(rng, s.Settings.Batch)}
}

// GradFunc returns α ↦ ∇_α L_val(w, α) + λ·α on the batch, in training
// mode (dropout masks fixed, batch norm on batch statistics), on tape tp.
// It changes α, its gradient, the leaves' Requires flags and the running
// batch-norm statistics; DominantEigenvalue restores them.
func (m *Model) GradFunc(tp *autograd.Tape, b *EigenBatch, lambda float64) hessian.GradFunc {
	return func(alpha, grad []float64) error {
		m.Alpha.SetRequires(true)
		for _, w := range m.Weights() {
			w.SetRequires(false)
		}
		for j := range alpha {
			m.Alpha.Value.Data[j] = float32(alpha[j])
		}
		m.Alpha.ZeroGrad()
		tp.Reset()
		out := m.Forward(tp, b.X, b.Y, b.N, b.Hidden, b.Masks)
		tp.Backward(out.Loss)
		for j := range grad {
			grad[j] = float64(m.Alpha.Grad.Data[j]) + lambda*alpha[j]
		}
		return nil
	}
}

// DominantEigenvalue is the largest eigenvalue of ∇²_α L_val + λ·I on the
// batch b, by Lanczos on finite-difference Hessian-vector products
// (hessian.DominantEigenvalue, forward differences, residual 1e-3·λ_max,
// as the convolutional search). The ReLU choices of the cell are recorded at
// α and replayed at every perturbed α (autograd.Kinks), so the
// finite-difference Hessian is that of the piecewise-smooth loss. α, its
// gradient, the Requires flags and the running batch-norm statistics are
// restored afterwards.
func (m *Model) DominantEigenvalue(k kernels.Backend, b *EigenBatch, lambda float64, seed uint64) (hessian.Result, error) {
	alpha := make([]float64, m.Alpha.Value.Len())
	for j, v := range m.Alpha.Value.Data {
		alpha[j] = float64(v)
	}
	req := make([]bool, 0, len(m.Weights())+1)
	for _, v := range append(m.Weights(), m.Alpha) {
		req = append(req, v.Requires)
	}
	var bn [2][]float32
	if m.BN != nil {
		bn = [2][]float32{append([]float32(nil), m.BN.Mean...), append([]float32(nil), m.BN.Var...)}
	}
	defer func() {
		for j, v := range alpha {
			m.Alpha.Value.Data[j] = float32(v)
		}
		for i, v := range append(m.Weights(), m.Alpha) {
			v.SetRequires(req[i])
			v.ZeroGrad()
		}
		if m.BN != nil {
			copy(m.BN.Mean, bn[0])
			copy(m.BN.Var, bn[1])
		}
	}()
	tp := autograd.NewTape(k)
	tp.Kinks = &autograd.Kinks{}
	tp.Kinks.Record()
	grad := m.GradFunc(tp, b, lambda)
	g := func(a, out []float64) error {
		err := grad(a, out)
		tp.Kinks.Replay() // the first call (at α) records
		return err
	}
	return hessian.DominantEigenvalue(g, alpha, hessian.Options{Seed: seed, Forward: true, Tol: 1e-3})
}
