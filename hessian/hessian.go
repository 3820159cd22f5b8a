package hessian

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// GradFunc writes ∇f(alpha) into grad (len(grad) == len(alpha)). It must not
// keep or modify alpha, and must return the same gradient for the same alpha.
type GradFunc func(alpha, grad []float64) error

// HVP writes H·v into out (len(out) == len(v)) for a fixed symmetric H. It
// must not keep or modify v.
type HVP func(v, out []float64) error

// Options configures DominantEigenvalue. The zero value means the defaults.
type Options struct {
	// MaxIter bounds the Lanczos iterations (Hessian-vector products).
	// Default (0): min(n, 100). Values above n are reduced to n, where the
	// Krylov space is the whole space and the answer is exact.
	MaxIter int
	// Tol is the relative residual at which Lanczos stops:
	// |β_k·s_k| ≤ Tol·|θ|, with θ the largest Ritz value and s its Ritz
	// vector in the Lanczos basis. The eigenvalue error is at most the
	// residual, usually about residual²/gap. Default (0): 1e-4.
	Tol float64
	// Eps is the finite-difference step h, an absolute length in α
	// (see Step and the package documentation). Default (0): 1e-3.
	// Ignored by DominantEigenvalueHVP.
	Eps float64
	// Seed picks the random start vector; zero is a valid seed. The same
	// seed, start and operator give the same result, bit for bit.
	Seed uint64
	// Start, if not nil, is where Lanczos starts (typically the Vector of
	// an earlier Result at a nearby α), mixed with the seed's random
	// vector as StartMix says. It must have length n and is not modified.
	Start []float64
	// StartMix is the weight of the random vector in the start,
	// q₀ ∝ Start/‖Start‖ + StartMix·r/‖r‖ with r the seed's random vector.
	// Some random part keeps Lanczos from stopping at the second eigenvalue
	// when the top two have swapped since Start was found (with none, an
	// exact eigenvector is an invariant subspace on its own). Default (0):
	// 0.1, which halves the products from a start near the top eigenvector
	// (TestWarmStart); negative means none.
	StartMix float64
	// Forward uses forward differences, (g(α+h·v̂) − g(α))/h·‖v‖: one
	// gradient per product instead of two, with g(α) computed once first.
	// Its products use the step h·ForwardStep, since their error grows
	// from O(h²) to O(h); DominantEigenvalue's refined value keeps the
	// central differences' accuracy (see RayleighQuotient).
	Forward bool
	// NoRefine skips DominantEigenvalue's final Rayleigh quotient and
	// returns the Lanczos Ritz value itself.
	NoRefine bool
}

// Default option values, used where an Options field is zero.
const (
	DefaultMaxIter  = 100
	DefaultTol      = 1e-4
	DefaultEps      = 1e-3
	DefaultStartMix = 0.1
)

// ForwardStep is the step of forward-difference products relative to the
// central one (see Options.Forward).
const ForwardStep = 0.25

// MinStepRel bounds the finite-difference step from below relative to
// ‖α‖₂: h ≥ MinStepRel·‖α‖₂ (see Step).
const MinStepRel = 3e-5

// Step is the finite-difference step at alpha for the option eps (≤ 0
// means DefaultEps): h = max(eps, MinStepRel·‖α‖₂). The step is absolute
// because the curvature of a softmax-mixed loss changes on a scale of α
// that does not grow with α (softmax's derivatives of every order are
// bounded whatever α is); the floor keeps the rounding of α ± h·v̂ to
// float32 (relative 6e-8 per entry) below about 1e-3 of the step.
func Step(eps float64, alpha []float64) float64 {
	if eps <= 0 {
		eps = DefaultEps
	}
	return math.Max(eps, MinStepRel*floats.Norm(alpha, 2))
}

// Result is the outcome of a dominant-eigenvalue computation.
type Result struct {
	// Value is the estimate of λ_max: the refined Rayleigh quotient along
	// Vector (DominantEigenvalue), or Ritz (NoRefine, and the HVP path).
	Value     float64
	Ritz      float64   // largest algebraic Ritz value of the Lanczos tridiagonal
	Vector    []float64 // its unit Ritz vector: an estimate of λ_max's eigenvector
	Products  int       // Hessian-vector products used (Lanczos iterations)
	GradEvals int       // gradient evaluations, the refinement's included (0 for the HVP path)
	Residual  float64   // |β_k·s_k|: some eigenvalue lies within Residual of Ritz
	Converged bool      // Residual ≤ Tol·|Ritz|, or the Krylov space became invariant
}

// DominantEigenvalue estimates the largest algebraic eigenvalue of the
// Hessian of f at alpha, given only ∇f: Lanczos on finite-difference
// Hessian-vector products (central, 2 gradient evaluations each, or
// forward, 1 each plus g(α) once) finds the top Ritz pair (θ, y); then,
// unless NoRefine, the value is refined to the Rayleigh quotient yᵀHy by
// RayleighQuotient (4 more gradients), whose error is O(h⁴) and does not
// depend on the products' differencing scheme. Not converging within
// MaxIter is not an error: Result.Converged reports it. Errors come only
// from g, wrapped with the product they occurred in.
// It panics if alpha is empty or an option is negative.
func DominantEigenvalue(g GradFunc, alpha []float64, opt Options) (Result, error) {
	if opt.Eps < 0 {
		panic("hessian: DominantEigenvalue: negative Eps")
	}
	evals := 0
	counted := func(a, grad []float64) error {
		evals++
		return g(a, grad)
	}
	hvp := FiniteDiffHVP(counted, alpha, opt.Eps)
	if opt.Forward {
		var err error
		if hvp, err = ForwardDiffHVP(counted, alpha, Step(opt.Eps, alpha)*ForwardStep); err != nil {
			return Result{GradEvals: evals}, err
		}
	}
	res, err := DominantEigenvalueHVP(hvp, len(alpha), opt)
	res.GradEvals = evals
	if err != nil || opt.NoRefine {
		return res, err
	}
	rq, err := RayleighQuotient(counted, alpha, res.Vector, opt.Eps)
	res.GradEvals = evals
	if err != nil {
		return res, fmt.Errorf("hessian: Rayleigh quotient: %w", err)
	}
	res.Value = rq
	return res, nil
}

// RayleighQuotient returns vᵀHv/vᵀv for the Hessian H of f at alpha, by
// central differences of the directional derivative φ′(t) = v̂ᵀ∇f(α+t·v̂)
// at steps h and 2h (h = Step(eps, alpha)) combined by Richardson
// extrapolation, (4·D(h) − D(2h))/3 with D(s) = (φ′(s) − φ′(−s))/2s: the
// h² error terms cancel, leaving O(h⁴) truncation and the rounding of four
// gradients. It costs 4 gradient evaluations. v must not be zero; alpha
// and v are not modified.
func RayleighQuotient(g GradFunc, alpha, v []float64, eps float64) (float64, error) {
	n := len(alpha)
	if len(v) != n {
		panic(fmt.Sprintf("hessian: RayleighQuotient: len(v) %d, len(alpha) %d", len(v), n))
	}
	nv := floats.Norm(v, 2)
	if nv == 0 {
		panic("hessian: RayleighQuotient: zero vector")
	}
	h := Step(eps, alpha)
	ap, gp := make([]float64, n), make([]float64, n)
	dphi := func(s float64) (float64, error) { // φ′(s)
		for i := range ap {
			ap[i] = alpha[i] + s/nv*v[i]
		}
		if err := g(ap, gp); err != nil {
			return 0, err
		}
		return floats.Dot(gp, v) / nv, nil
	}
	var d [2]float64
	for k, s := range []float64{h, 2 * h} {
		p, err := dphi(s)
		if err != nil {
			return 0, err
		}
		m, err := dphi(-s)
		if err != nil {
			return 0, err
		}
		d[k] = (p - m) / (2 * s)
	}
	return (4*d[0] - d[1]) / 3, nil
}

// ForwardDiffHVP is FiniteDiffHVP with forward differences: it evaluates
// g(alpha) once, now, then one gradient per product.
func ForwardDiffHVP(g GradFunc, alpha []float64, eps float64) (HVP, error) {
	n := len(alpha)
	base := append([]float64(nil), alpha...)
	g0 := make([]float64, n)
	if err := g(base, g0); err != nil {
		return nil, err
	}
	h := Step(eps, base)
	ap, gp := make([]float64, n), make([]float64, n)
	return func(v, out []float64) error {
		if len(v) != n || len(out) != n {
			panic(fmt.Sprintf("hessian: HVP: len(v) %d, len(out) %d, want %d", len(v), len(out), n))
		}
		nv := floats.Norm(v, 2)
		if nv == 0 {
			clear(out)
			return nil
		}
		step := h / nv
		for i := range ap {
			ap[i] = base[i] + step*v[i]
		}
		if err := g(ap, gp); err != nil {
			return err
		}
		scale := nv / h
		for i := range out {
			out[i] = (gp[i] - g0[i]) * scale
		}
		return nil
	}, nil
}

// FiniteDiffHVP returns the central-difference Hessian-vector product of f at
// alpha: Hv ≈ ‖v‖·(g(α+h·v̂) − g(α−h·v̂))/(2h), v̂ = v/‖v‖, h = Step(eps, α). The step is taken along the unit direction so
// its length does not depend on the scale of v. Each call costs two
// gradient evaluations; alpha is copied, so later changes to it do not
// affect the operator. The HVP is not safe for concurrent use.
func FiniteDiffHVP(g GradFunc, alpha []float64, eps float64) HVP {
	n := len(alpha)
	base := append([]float64(nil), alpha...)
	h := Step(eps, base)
	ap := make([]float64, n)
	gp, gm := make([]float64, n), make([]float64, n)
	return func(v, out []float64) error {
		if len(v) != n || len(out) != n {
			panic(fmt.Sprintf("hessian: HVP: len(v) %d, len(out) %d, want %d", len(v), len(out), n))
		}
		nv := floats.Norm(v, 2)
		if nv == 0 {
			clear(out)
			return nil
		}
		step := h / nv // α ± step·v = α ± h·v̂
		for i := range ap {
			ap[i] = base[i] + step*v[i]
		}
		if err := g(ap, gp); err != nil {
			return err
		}
		for i := range ap {
			ap[i] = base[i] - step*v[i]
		}
		if err := g(ap, gm); err != nil {
			return err
		}
		scale := nv / (2 * h)
		for i := range out {
			out[i] = (gp[i] - gm[i]) * scale
		}
		return nil
	}
}

// DominantEigenvalueHVP estimates the largest algebraic eigenvalue of the
// symmetric n×n operator hvp by Lanczos with full reorthogonalisation.
// Iteration k multiplies the k-th Lanczos vector, orthogonalises the result
// against all earlier vectors (twice, which is enough in floating point),
// and takes the largest eigenvalue θ of the k×k tridiagonal T (gonum
// EigenSym). It stops when |β_k·s_k| ≤ Tol·|θ|, when β_k vanishes (an
// invariant subspace: θ is then an exact eigenvalue of the operator
// restricted to the Krylov space), or after MaxIter products. It starts
// from Options.Start (mixed with a random vector) or from a random vector,
// and returns the top Ritz vector in Result.Vector.
// It panics if n < 1, an option is negative or Start has the wrong length.
func DominantEigenvalueHVP(hvp HVP, n int, opt Options) (Result, error) {
	if n < 1 {
		panic("hessian: DominantEigenvalueHVP: n < 1")
	}
	if opt.MaxIter < 0 || opt.Tol < 0 {
		panic("hessian: DominantEigenvalueHVP: negative MaxIter or Tol")
	}
	maxIter := opt.MaxIter
	if maxIter == 0 {
		maxIter = min(n, DefaultMaxIter)
	}
	maxIter = min(maxIter, n)
	tol := opt.Tol
	if tol == 0 {
		tol = DefaultTol
	}

	q := startVector(n, opt)

	basis := make([][]float64, 0, maxIter) // Lanczos vectors q_0 … q_k
	var diag, off []float64                // T's diagonal a_j and off-diagonal b_j
	w := make([]float64, n)
	var res Result
	for k := 0; k < maxIter; k++ {
		basis = append(basis, q)
		if err := hvp(q, w); err != nil {
			return res, fmt.Errorf("hessian: product %d: %w", k+1, err)
		}
		res.Products++
		a := floats.Dot(q, w)
		diag = append(diag, a)
		// Full reorthogonalisation subsumes the three-term recurrence
		// (w −= a·q_k + b_{k−1}·q_{k−1}); two passes restore orthogonality
		// to working precision even when the first loses digits.
		for range 2 {
			for _, u := range basis {
				floats.AddScaled(w, -floats.Dot(u, w), u)
			}
		}
		b := floats.Norm(w, 2)

		theta, s, err := topRitz(diag, off)
		if err != nil {
			return res, err
		}
		res.Value, res.Ritz = theta, theta
		res.Residual = math.Abs(b * s[k])
		// β is compared with the scale of T: below it the new direction is
		// rounding noise, and the Krylov space is invariant.
		invariant := b <= 1e-12*tridiagScale(diag, off)
		done := invariant || res.Residual <= tol*math.Abs(theta) || k+1 == n
		if done || k+1 == maxIter {
			res.Vector = ritzVector(basis, s)
		}
		if done {
			res.Converged = true
			if invariant || k+1 == n {
				// The Krylov space is invariant or the whole space.
				res.Residual = math.Min(res.Residual, b)
			}
			return res, nil
		}
		off = append(off, b)
		q = make([]float64, n)
		floats.ScaleTo(q, 1/b, w)
	}
	return res, nil
}

// startVector is Lanczos' unit start vector (see Options.Start).
func startVector(n int, opt Options) []float64 {
	rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
	q := make([]float64, n)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	floats.Scale(1/floats.Norm(q, 2), q)
	if opt.Start == nil {
		return q
	}
	if len(opt.Start) != n {
		panic(fmt.Sprintf("hessian: Options.Start has length %d, want %d", len(opt.Start), n))
	}
	ns := floats.Norm(opt.Start, 2)
	if ns == 0 || math.IsNaN(ns) || math.IsInf(ns, 0) {
		return q // nothing to start from
	}
	mix := opt.StartMix
	switch {
	case mix == 0:
		mix = DefaultStartMix
	case mix < 0:
		mix = 0
	}
	for i := range q {
		q[i] = opt.Start[i]/ns + mix*q[i]
	}
	floats.Scale(1/floats.Norm(q, 2), q)
	return q
}

// ritzVector is Σ_j s_j·q_j, normalised.
func ritzVector(basis [][]float64, s []float64) []float64 {
	y := make([]float64, len(basis[0]))
	for j, q := range basis {
		floats.AddScaled(y, s[j], q)
	}
	floats.Scale(1/floats.Norm(y, 2), y)
	return y
}

// topRitz returns the largest eigenvalue of the symmetric tridiagonal matrix
// with the given diagonal and off-diagonal, and its unit eigenvector.
func topRitz(diag, off []float64) (theta float64, vec []float64, err error) {
	k := len(diag)
	t := mat.NewSymDense(k, nil)
	for i, a := range diag {
		t.SetSym(i, i, a)
	}
	for i, b := range off {
		t.SetSym(i, i+1, b)
	}
	var es mat.EigenSym
	if !es.Factorize(t, true) {
		return 0, nil, errors.New("hessian: eigendecomposition of the Lanczos tridiagonal failed")
	}
	vals := es.Values(nil)
	top := 0
	for i, v := range vals {
		if v > vals[top] {
			top = i
		}
	}
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	return vals[top], mat.Col(nil, top, &vecs), nil
}

// tridiagScale is max |entry| of the tridiagonal, a bound on ‖T‖ within 3×.
func tridiagScale(diag, off []float64) float64 {
	s := 0.0
	for _, a := range diag {
		s = math.Max(s, math.Abs(a))
	}
	for _, b := range off {
		s = math.Max(s, math.Abs(b))
	}
	return s
}

// Exact builds the full Hessian of f at alpha by central differences of the
// gradient along each coordinate, column j = (g(α+h·e_j) − g(α−h·e_j))/(2h)
// with h = Step(eps, α), and symmetrises it as
// (H+Hᵀ)/2. It returns the matrix and the number of gradient evaluations
// (2n). Errors come only from g. It panics if alpha is empty.
func Exact(g GradFunc, alpha []float64, eps float64) (*mat.SymDense, int, error) {
	n := len(alpha)
	if n == 0 {
		panic("hessian: Exact: empty alpha")
	}
	h := Step(eps, alpha)
	a := append([]float64(nil), alpha...)
	gp, gm := make([]float64, n), make([]float64, n)
	cols := mat.NewDense(n, n, nil)
	evals := 0
	for j := range n {
		a[j] = alpha[j] + h
		if err := g(a, gp); err != nil {
			return nil, evals, fmt.Errorf("hessian: Exact column %d: %w", j, err)
		}
		a[j] = alpha[j] - h
		if err := g(a, gm); err != nil {
			return nil, evals + 1, fmt.Errorf("hessian: Exact column %d: %w", j, err)
		}
		a[j] = alpha[j] // restore from the saved input, not by arithmetic
		evals += 2
		for i := range n {
			cols.Set(i, j, (gp[i]-gm[i])/(2*h))
		}
	}
	hs := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			hs.SetSym(i, j, (cols.At(i, j)+cols.At(j, i))/2)
		}
	}
	return hs, evals, nil
}

// Spectrum returns all eigenvalues of the symmetric matrix h in descending
// order (gonum EigenSym); the first is the reference's dominant eigenvalue.
func Spectrum(h *mat.SymDense) ([]float64, error) {
	var es mat.EigenSym
	if !es.Factorize(h, false) {
		return nil, errors.New("hessian: Spectrum: eigendecomposition failed")
	}
	vals := es.Values(nil)
	sort.Sort(sort.Reverse(sort.Float64Slice(vals)))
	return vals, nil
}
