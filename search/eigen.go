package search

import (
	"gonum.org/v1/gonum/mat"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/hessian"
)

// Eigen is the outcome of one dominant-eigenvalue analysis.
type Eigen struct {
	Value     float64   `json:"ev"`
	GradEvals int       `json:"grad_evals"`
	Residual  float64   `json:"residual,omitempty"`
	Exact     bool      `json:"exact"`
	Spectrum  []float64 `json:"spectrum,omitempty"` // exact path: top-k, descending
}

// LanczosState carries Lanczos' start vector from one dominant-eigenvalue
// analysis to the next: α moves little between two analyses, so the
// previous Ritz vector is a good start and Lanczos needs fewer products
// (hessian.Options.Start). It is part of the checkpoint, so a resumed run
// starts its next analysis where the uninterrupted one would.
type LanczosState struct {
	// Epoch is the epoch of the last analysis, Start the start vector it
	// used (nil: the random one of its seed) and Vector the Ritz vector it
	// found, the start of the next analysis (nil before the first).
	// Runner.Hessian repeats the analysis of Epoch from Start, so `rdarts
	// hessian` reproduces the logged value bit for bit.
	Epoch  int
	Start  []float64
	Vector []float64
}

// alphaVector concatenates α normal and reduce, row-major (docs/method.md,
// Eigen-analysis).
func (b *Bilevel) alphaVector() []float64 {
	var v []float64
	for _, a := range b.a {
		for _, x := range a.Value {
			v = append(v, float64(x))
		}
	}
	return v
}

// GradFunc returns α ↦ ∇_α L_val(w, α) + λ_α·α on one batch, in train mode
// with drop-path masks fixed (the same random stream on every call), as the
// Hessian of docs/method.md (Eigen-analysis) needs. It changes α and the BN statistics while it
// runs; DominantEigenvalue restores both.
func (b *Bilevel) GradFunc(val Batch, dropPath, lambda float64, epoch int) hessian.GradFunc {
	return func(alpha, grad []float64) error {
		k := 0
		for _, a := range b.a {
			for j := range a.Value {
				a.Value[j] = float32(alpha[k])
				k++
			}
		}
		b.zeroA()
		b.Pass(val, false, true, dropPath, epoch, 0, rngHessian)
		k = 0
		for _, a := range b.a {
			for j := range a.Grad {
				grad[k] = float64(a.Grad[j]) + lambda*alpha[k]
				k++
			}
		}
		return nil
	}
}

// DominantEigenvalue is the largest eigenvalue of ∇²_α L_val (+λ_α·I) on the
// batch val (docs/method.md, Eigen-analysis): by Lanczos on finite-difference Hessian-vector
// products, started from the previous analysis' eigenvector (LanczosState),
// or, with exact, from the full Hessian (ExactHessian; top-k of
// its spectrum kept). α, its gradients and the running BN statistics are
// restored: the reference's two forwards here nudge the statistics, our
// dozens of forwards would move them much more, so they are left out
// (documented).
//
// The ReLU and max-pool choices are recorded at α and replayed at every
// perturbed α (autograd.Kinks), which makes the finite-difference Hessian
// the one the reference gets by double back-propagation.
func (b *Bilevel) DominantEigenvalue(val Batch, dropPath, lambda float64, epoch int, exact bool, topK int) (Eigen, error) {
	if exact {
		h, evals, err := b.ExactHessian(val, dropPath, lambda, epoch)
		if err != nil {
			return Eigen{}, err
		}
		spec, err := hessian.Spectrum(h)
		if err != nil {
			return Eigen{}, err
		}
		if topK > 0 && topK < len(spec) {
			spec = spec[:topK]
		}
		return Eigen{Value: spec[0], GradEvals: evals, Exact: true, Spectrum: spec}, nil
	}
	alpha, g, done := b.frozenGrad(val, dropPath, lambda, epoch, false)
	defer done()
	start := b.lanczos.Vector
	if len(start) != len(alpha) {
		start = nil // another network's vector: start at random
	}
	// Forward differences find the eigenvector (a residual of 1e-3·λ); the
	// value is its Rayleigh quotient by central differences with Richardson
	// extrapolation, whose error (O(h⁴) plus residual²/gap) is far inside
	// the 1e-3 the golden test asks (hessian.DominantEigenvalue).
	r, err := hessian.DominantEigenvalue(g, alpha, hessian.Options{Seed: uint64(epoch), Forward: true, Tol: 1e-3, Start: start})
	if err != nil {
		return Eigen{}, err
	}
	b.lanczos = LanczosState{Epoch: epoch, Start: start, Vector: r.Vector}
	return Eigen{Value: r.Value, GradEvals: r.GradEvals, Residual: r.Residual}, nil
}

// ExactHessian is the full ∇²_α L_val (+λ_α·I) on the batch val, α normal
// then reduce, row-major (docs/method.md, Eigen-analysis), by central differences of the gradient
// with the kinks frozen (hessian.Exact), and the number of gradient
// evaluations it took. α, its gradients and the running BN statistics are
// restored, as in DominantEigenvalue.
func (b *Bilevel) ExactHessian(val Batch, dropPath, lambda float64, epoch int) (*mat.SymDense, int, error) {
	alpha, g, done := b.frozenGrad(val, dropPath, lambda, epoch, true)
	defer done()
	h, evals, err := hessian.Exact(g, alpha, 0)
	return h, evals + 1, err
}

// frozenGrad returns the current α and GradFunc with the kinks recorded at
// α and replayed everywhere else; done restores α, its gradients and the
// BN statistics. With record the recording pass runs now (the exact path
// never evaluates at α itself); otherwise the first evaluation records
// (Lanczos' forward differences start with g(α)).
func (b *Bilevel) frozenGrad(val Batch, dropPath, lambda float64, epoch int, record bool) ([]float64, hessian.GradFunc, func()) {
	alpha := b.alphaVector()
	b.saveBN()
	b.Tape.Kinks = &autograd.Kinks{}
	b.Tape.Kinks.Record()
	if record {
		b.zeroA()
		b.Pass(val, false, true, dropPath, epoch, 0, rngHessian)
		b.Tape.Kinks.Replay()
	}
	done := func() {
		b.Tape.Kinks = nil
		b.restoreBN()
		k := 0
		for _, a := range b.a {
			for j := range a.Value {
				a.Value[j] = float32(alpha[k])
				k++
			}
		}
		b.zeroA()
	}
	grad := b.GradFunc(val, dropPath, lambda, epoch)
	g := func(a, out []float64) error {
		err := grad(a, out)
		b.Tape.Kinks.Replay()
		return err
	}
	return alpha, g, done
}
