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
	// Eps is the relative finite-difference step: h = Eps·max(1, ‖α‖₂)
	// (see the package documentation). Default (0): 1e-3. Ignored by
	// DominantEigenvalueHVP.
	Eps float64
	// Seed picks the random start vector; zero is a valid seed. The same
	// seed and operator give the same result, bit for bit.
	Seed uint64
	// Forward uses forward differences, (g(α+h·v̂) − g(α))/h·‖v‖: one
	// gradient per product instead of two, with g(α) computed once first.
	// The error grows from O(h²) to O(h), which is far below 1 % at the
	// default step for the smooth (kink-frozen) losses rdarts hands in.
	Forward bool
}

// Default option values, used where an Options field is zero.
const (
	DefaultMaxIter = 100
	DefaultTol     = 1e-4
	DefaultEps     = 1e-3
)

// Result is the outcome of a dominant-eigenvalue computation.
type Result struct {
	Value     float64 // largest algebraic Ritz value: the estimate of λ_max
	Products  int     // Hessian-vector products used (Lanczos iterations)
	GradEvals int     // gradient evaluations (2·Products for DominantEigenvalue, 0 for the HVP path)
	Residual  float64 // |β_k·s_k|: some eigenvalue lies within Residual of Value
	Converged bool    // Residual ≤ Tol·|Value|, or the Krylov space became invariant
}

// DominantEigenvalue estimates the largest algebraic eigenvalue of the
// Hessian of f at alpha, given only ∇f, by Lanczos on central-difference
// Hessian-vector products (2 gradient evaluations each). Not converging
// within MaxIter is not an error: Result.Converged reports it. Errors come
// only from g, wrapped with the product they occurred in.
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
		if hvp, err = ForwardDiffHVP(counted, alpha, opt.Eps); err != nil {
			return Result{GradEvals: evals}, err
		}
	}
	res, err := DominantEigenvalueHVP(hvp, len(alpha), opt)
	res.GradEvals = evals
	return res, err
}

// ForwardDiffHVP is FiniteDiffHVP with forward differences: it evaluates
// g(alpha) once, now, then one gradient per product.
func ForwardDiffHVP(g GradFunc, alpha []float64, eps float64) (HVP, error) {
	if eps <= 0 {
		eps = DefaultEps
	}
	n := len(alpha)
	base := append([]float64(nil), alpha...)
	g0 := make([]float64, n)
	if err := g(base, g0); err != nil {
		return nil, err
	}
	h := eps * math.Max(1, floats.Norm(base, 2))
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
// alpha: Hv ≈ ‖v‖·(g(α+h·v̂) − g(α−h·v̂))/(2h), v̂ = v/‖v‖, h = eps·max(1, ‖α‖₂)
// (eps ≤ 0 means DefaultEps). The step is taken along the unit direction so
// its length does not depend on the scale of v. Each call costs two
// gradient evaluations; alpha is copied, so later changes to it do not
// affect the operator. The HVP is not safe for concurrent use.
func FiniteDiffHVP(g GradFunc, alpha []float64, eps float64) HVP {
	if eps <= 0 {
		eps = DefaultEps
	}
	n := len(alpha)
	base := append([]float64(nil), alpha...)
	h := eps * math.Max(1, floats.Norm(base, 2))
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
// restricted to the Krylov space), or after MaxIter products.
// It panics if n < 1 or an option is negative.
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

	rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
	q := make([]float64, n)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	floats.Scale(1/floats.Norm(q, 2), q)

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

		theta, last, err := topRitz(diag, off)
		if err != nil {
			return res, err
		}
		res.Value = theta
		res.Residual = math.Abs(b * last)
		// β is compared with the scale of T: below it the new direction is
		// rounding noise, and the Krylov space is invariant.
		invariant := b <= 1e-12*tridiagScale(diag, off)
		if invariant || res.Residual <= tol*math.Abs(theta) || k+1 == n {
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

// topRitz returns the largest eigenvalue of the symmetric tridiagonal matrix
// with the given diagonal and off-diagonal, and the last component of its
// unit eigenvector.
func topRitz(diag, off []float64) (theta, last float64, err error) {
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
		return 0, 0, errors.New("hessian: eigendecomposition of the Lanczos tridiagonal failed")
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
	return vals[top], vecs.At(k-1, top), nil
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
// with h = eps·max(1, ‖α‖₂) (eps ≤ 0 means DefaultEps), and symmetrises it as
// (H+Hᵀ)/2. It returns the matrix and the number of gradient evaluations
// (2n). Errors come only from g. It panics if alpha is empty.
func Exact(g GradFunc, alpha []float64, eps float64) (*mat.SymDense, int, error) {
	n := len(alpha)
	if n == 0 {
		panic("hessian: Exact: empty alpha")
	}
	if eps <= 0 {
		eps = DefaultEps
	}
	h := eps * math.Max(1, floats.Norm(alpha, 2))
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
