package hessian

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// spectrumFor returns n known eigenvalues, descending: the top one is 5 but
// the largest in magnitude is −9, so a power iteration would find −9 and
// "dominant" in the reference's algebraic sense is 5. The rest spread over
// [−3, 3.5], leaving a gap of 1.5 below the top.
func spectrumFor(n int) []float64 {
	d := make([]float64, n)
	d[0], d[n-1] = 5, -9
	for i := 1; i < n-1; i++ {
		d[i] = 3.5 - 6.5*float64(i-1)/float64(n-3)
	}
	return d
}

// orthogonal returns a random n×n orthogonal matrix (Q of a Gaussian's QR).
func orthogonal(n int, rng *rand.Rand) *mat.Dense {
	g := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	return &q
}

// withSpectrum returns Q·diag(d)·Qᵀ for a random orthogonal Q, symmetric exactly.
func withSpectrum(d []float64, rng *rand.Rand) *mat.SymDense {
	n := len(d)
	q := orthogonal(n, rng)
	a := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s := 0.0
			for k := range n {
				s += q.At(i, k) * d[k] * q.At(j, k)
			}
			a.SetSym(i, j, s)
		}
	}
	return a
}

func randVec(n int, scale float64, rng *rand.Rand) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

// quadratic is f(α) = ½αᵀAα + bᵀα, whose gradient is Aα + b and Hessian A.
func quadratic(a *mat.SymDense, b []float64) GradFunc {
	return func(alpha, grad []float64) error {
		g := mat.NewVecDense(len(grad), grad)
		g.MulVec(a, mat.NewVecDense(len(alpha), alpha))
		for i := range grad {
			grad[i] += b[i]
		}
		return nil
	}
}

func maxAbsDiff(a, b mat.Matrix) float64 {
	r, c := a.Dims()
	m := 0.0
	for i := range r {
		for j := range c {
			m = math.Max(m, math.Abs(a.At(i, j)-b.At(i, j)))
		}
	}
	return m
}

func TestQuadratic(t *testing.T) {
	for _, n := range []int{56, 224} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		d := spectrumFor(n)
		a := withSpectrum(d, rng)
		g := quadratic(a, randVec(n, 1, rng))
		alpha := randVec(n, 0.5, rng)
		alpha0 := slices.Clone(alpha)

		// The central difference of a linear gradient is exact up to rounding.
		h, exactEvals, err := Exact(g, alpha, 0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := maxAbsDiff(h, a); diff > 1e-8 {
			t.Errorf("n=%d: Exact differs from A by %.3g", n, diff)
		}
		if exactEvals != 2*n {
			t.Errorf("n=%d: Exact used %d gradient evaluations, want %d", n, exactEvals, 2*n)
		}
		spec, err := Spectrum(h)
		if err != nil {
			t.Fatal(err)
		}
		for i := range d {
			if math.Abs(spec[i]-d[i]) > 1e-8 {
				t.Fatalf("n=%d: Spectrum[%d] = %.12g, want %.12g", n, i, spec[i], d[i])
			}
		}

		res, err := DominantEigenvalue(g, alpha, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rel := math.Abs(res.Value-5) / 5
		t.Logf("n=%d: Lanczos %.10f (rel err %.2g, residual %.2g) in %d products = %d gradient evaluations; Exact %d",
			n, res.Value, rel, res.Residual, res.Products, res.GradEvals, exactEvals)
		if !res.Converged || rel > 1e-6 {
			t.Errorf("n=%d: Lanczos = %.10g (converged %v), want 5 within 1e-6", n, res.Value, res.Converged)
		}
		if res.GradEvals != 2*res.Products+4 {
			t.Errorf("n=%d: %d gradient evaluations for %d products", n, res.GradEvals, res.Products)
		}
		if n == 224 && 10*res.GradEvals > exactEvals {
			t.Errorf("n=224: Lanczos used %d gradient evaluations, not 10× fewer than Exact's %d", res.GradEvals, exactEvals)
		}
		if !slices.Equal(alpha, alpha0) {
			t.Errorf("n=%d: alpha was modified", n)
		}
	}
}

// lseModel is f(α) = log Σ_r exp((Mα)_r) + ½αᵀSα: the log-partition of a
// fixed linear softmax model (the smooth, non-quadratic part of a
// cross-entropy in α) plus an indefinite quadratic, so the Hessian
// Mᵀ(diag(p) − ppᵀ)M + S, p = softmax(Mα), has eigenvalues of both signs and
// changes with α. The gradient Mᵀp + Sα is rounded to float32, like the
// network's.
type lseModel struct {
	m *mat.Dense
	s *mat.SymDense
}

func (f lseModel) probs(alpha []float64) []float64 {
	r, _ := f.m.Dims()
	z := make([]float64, r)
	mat.NewVecDense(r, z).MulVec(f.m, mat.NewVecDense(len(alpha), alpha))
	zmax := slices.Max(z)
	sum := 0.0
	for i := range z {
		z[i] = math.Exp(z[i] - zmax) // shifted: exp never overflows
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
	return z
}

func (f lseModel) grad(alpha, grad []float64) error {
	p := f.probs(alpha)
	g := mat.NewVecDense(len(grad), grad)
	g.MulVec(f.m.T(), mat.NewVecDense(len(p), p))
	var sa mat.VecDense
	sa.MulVec(f.s, mat.NewVecDense(len(alpha), alpha))
	for i := range grad {
		grad[i] = float64(float32(grad[i] + sa.AtVec(i)))
	}
	return nil
}

func (f lseModel) hessian(alpha []float64) *mat.SymDense {
	p := f.probs(alpha)
	r, n := f.m.Dims()
	cov := mat.NewSymDense(r, nil)
	for i := range r {
		for j := i; j < r; j++ {
			v := -p[i] * p[j]
			if i == j {
				v += p[i]
			}
			cov.SetSym(i, j, v)
		}
	}
	var mc mat.Dense
	mc.Mul(f.m.T(), cov)
	var full mat.Dense
	full.Mul(&mc, f.m)
	h := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			h.SetSym(i, j, (full.At(i, j)+full.At(j, i))/2+f.s.At(i, j))
		}
	}
	return h
}

func TestNonQuadraticFloat32Gradient(t *testing.T) {
	for _, n := range []int{56, 224} {
		rng := rand.New(rand.NewPCG(uint64(n), 2))
		const rows = 40
		m := mat.NewDense(rows, n, randVec(rows*n, 3/math.Sqrt(float64(n)), rng))
		d := spectrumFor(n)
		for i := range d {
			d[i] /= 5 // S: top 1, bottom −1.8
		}
		f := lseModel{m: m, s: withSpectrum(d, rng)}
		alpha := randVec(n, 0.3, rng)

		truth, err := Spectrum(f.hessian(alpha))
		if err != nil {
			t.Fatal(err)
		}
		h, exactEvals, err := Exact(f.grad, alpha, 0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := maxAbsDiff(h, f.hessian(alpha)); diff > 1e-3 {
			t.Errorf("n=%d: Exact differs from the analytic Hessian by %.3g", n, diff)
		}
		spec, err := Spectrum(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, forward := range []bool{false, true} {
			res, err := DominantEigenvalue(f.grad, alpha, Options{Forward: forward, Tol: 1e-3})
			if err != nil {
				t.Fatal(err)
			}
			rel := math.Abs(res.Value-spec[0]) / math.Abs(spec[0])
			t.Logf("forward differences %v:", forward)
			t.Logf("n=%d: analytic λmax %.6f (λmin %.4f), Exact+Spectrum %.6f, Lanczos %.6f (rel %.2g, converged %v) with %d vs %d gradient evaluations",
				n, truth[0], truth[n-1], spec[0], res.Value, rel, res.Converged, res.GradEvals, exactEvals)
			if math.Abs(truth[n-1]) <= math.Abs(truth[0]) {
				t.Fatalf("n=%d: test setup: the largest eigenvalue is also the largest in magnitude", n)
			}
			if rel > 1e-2 || !res.Converged {
				t.Errorf("n=%d: Lanczos %.6g vs Exact+Spectrum %.6g: rel %.3g (converged %v)", n, res.Value, spec[0], rel, res.Converged)
			}
			// Either way the value is the refined Rayleigh quotient, O(h⁴).
			if math.Abs(res.Value-truth[0]) > 1e-4*math.Abs(truth[0]) {
				t.Errorf("n=%d: Lanczos %.6g vs analytic %.6g", n, res.Value, truth[0])
			}
			if n == 224 && 10*res.GradEvals > exactEvals {
				t.Errorf("n=224: Lanczos used %d gradient evaluations, not 10× fewer than Exact's %d", res.GradEvals, exactEvals)
			}
		}
	}
}

// TestRayleighQuotientRichardson: f(α) = Σ exp(3α_i) has H = diag(9·e^{3α_i}),
// and along e_0 a central difference at h = 1e-3 is off by h²·81/6 ≈ 1.4e-5
// relative; Richardson's extrapolation cancels that term.
func TestRayleighQuotientRichardson(t *testing.T) {
	g := func(alpha, grad []float64) error {
		for i, a := range alpha {
			grad[i] = 3 * math.Exp(3*a)
		}
		return nil
	}
	alpha := []float64{0.4, -0.2, 0.1}
	v := []float64{2, 0, 0} // not unit: the quotient is vᵀHv/vᵀv
	want := 9 * math.Exp(3*alpha[0])
	got, err := RayleighQuotient(g, alpha, v, 0)
	if err != nil {
		t.Fatal(err)
	}
	h := Step(0, alpha)
	central := (g2(g, alpha, 0, h) - g2(g, alpha, 0, -h)) / (2 * h)
	t.Logf("exact %.15g, Richardson %.15g (rel %.2g), central %.15g (rel %.2g)", want, got, (got-want)/want, central, (central-want)/want)
	if math.Abs(got-want) > 1e-9*want || math.Abs(central-want) < 1e-6*want {
		t.Errorf("Rayleigh quotient %.15g, want %.15g within 1e-9 (plain central %.15g)", got, want, central)
	}
	if alpha[0] != 0.4 || v[0] != 2 {
		t.Error("inputs were modified")
	}
}

// g2 is ∂f/∂α_i at α + s·e_i.
func g2(g GradFunc, alpha []float64, i int, s float64) float64 {
	a := slices.Clone(alpha)
	a[i] += s
	grad := make([]float64, len(a))
	_ = g(a, grad)
	return grad[i]
}

func TestStep(t *testing.T) {
	if h := Step(0, []float64{3, 4}); h != DefaultEps {
		t.Errorf("Step(0, ‖α‖ = 5) = %g, want %g", h, DefaultEps)
	}
	if h := Step(2e-4, []float64{3, 4}); h != 2e-4 {
		t.Errorf("Step(2e-4, ‖α‖ = 5) = %g, want 2e-4", h)
	}
	norm := 500.0
	if h := Step(0, []float64{300, 400}); h != MinStepRel*norm {
		t.Errorf("Step(0, ‖α‖ = 500) = %g, want %g", h, MinStepRel*norm)
	}
}

// TestWarmStart: started from a vector near the top eigenvector Lanczos
// needs fewer products than from a random one; started exactly at the
// second eigenvector (the top two have swapped since the start was found),
// the random part of the start still leads it to the top one.
func TestWarmStart(t *testing.T) {
	const n = 224
	rng := rand.New(rand.NewPCG(3, 3))
	d := spectrumFor(n)
	d[1] = 4.5 // a close second
	a := withSpectrum(d, rng)
	var es mat.EigenSym
	if !es.Factorize(a, true) {
		t.Fatal("eigendecomposition failed")
	}
	var vecs mat.Dense
	es.VectorsTo(&vecs) // ascending: top in column n−1, second in n−2
	top, second := mat.Col(nil, n-1, &vecs), mat.Col(nil, n-2, &vecs)
	near := slices.Clone(top)
	for i := range near {
		near[i] += 0.05 * rng.NormFloat64() / math.Sqrt(n)
	}
	hvp := func(v, out []float64) error {
		mat.NewVecDense(n, out).MulVec(a, mat.NewVecDense(n, v))
		return nil
	}
	cold, err := DominantEigenvalueHVP(hvp, n, Options{Tol: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	warm, err := DominantEigenvalueHVP(hvp, n, Options{Tol: 1e-3, Start: near})
	if err != nil {
		t.Fatal(err)
	}
	swapped, err := DominantEigenvalueHVP(hvp, n, Options{Tol: 1e-3, Start: second})
	if err != nil {
		t.Fatal(err)
	}
	// Without the random part, the second eigenvector is an invariant
	// subspace on its own: Lanczos stops there after one product.
	stuck, err := DominantEigenvalueHVP(hvp, n, Options{Tol: 1e-3, Start: second, StartMix: -1})
	if err != nil || stuck.Products != 1 || math.Abs(stuck.Value-4.5) > 1e-9 {
		t.Errorf("unmixed start at the second eigenvector: %+v, %v; want 4.5 after one product", stuck, err)
	}
	t.Logf("products: random start %d, near the top eigenvector %d, at the second %d", cold.Products, warm.Products, swapped.Products)
	for _, r := range []Result{cold, warm, swapped} {
		if math.Abs(r.Value-5) > 1e-4 || !r.Converged {
			t.Errorf("λ = %.10g (converged %v), want 5", r.Value, r.Converged)
		}
		if dot := math.Abs(floats.Dot(r.Vector, top)); dot < 0.999 {
			t.Errorf("Ritz vector · top eigenvector = %.8f", dot)
		}
	}
	if 3*warm.Products > 2*cold.Products {
		t.Errorf("warm start took %d products, a random start %d", warm.Products, cold.Products)
	}
	defer func() {
		if recover() == nil {
			t.Error("a start vector of the wrong length did not panic")
		}
	}()
	_, _ = DominantEigenvalueHVP(hvp, n, Options{Start: make([]float64, n-1)})
}

func TestHVPSmallExact(t *testing.T) {
	// diag(1, −5, 2): the Krylov space fills R³ by the third product at the
	// latest, so Lanczos returns 2 exactly (not −5, the largest magnitude).
	diag := []float64{1, -5, 2}
	hvp := func(v, out []float64) error {
		for i := range v {
			out[i] = diag[i] * v[i]
		}
		return nil
	}
	res, err := DominantEigenvalueHVP(hvp, 3, Options{MaxIter: 50})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Converged || res.Products > 3 || math.Abs(res.Value-2) > 1e-12 || res.GradEvals != 0 {
		t.Errorf("got %+v, want value 2 in ≤ 3 products, converged, 0 gradient evaluations", res)
	}
	// n = 1: a single product is the answer.
	res, err = DominantEigenvalueHVP(func(v, out []float64) error { out[0] = -3 * v[0]; return nil }, 1, Options{})
	if err != nil || res.Value != -3 || res.Products != 1 || !res.Converged {
		t.Errorf("n=1: got %+v, %v", res, err)
	}
}

// TestInvariantSubspace: H = diag(0, 0, 0, −1, −1, −1) has two distinct
// eigenvalues, so every Krylov space has dimension ≤ 2 and β vanishes after
// the second product. The top eigenvalue is 0, where the relative residual
// test (≤ Tol·|θ| = 0) cannot fire; the breakdown test must stop it at 2
// products instead of running on rounding noise to n = 6.
func TestInvariantSubspace(t *testing.T) {
	hvp := func(v, out []float64) error {
		for i := range v {
			out[i] = 0
			if i >= 3 {
				out[i] = -v[i]
			}
		}
		return nil
	}
	res, err := DominantEigenvalueHVP(hvp, 6, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Products != 2 || !res.Converged || math.Abs(res.Value) > 1e-12 {
		t.Errorf("got %+v, want value 0 after 2 products, converged", res)
	}
}

func TestMaxIterNotConverged(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	a := withSpectrum(spectrumFor(56), rng)
	g := quadratic(a, make([]float64, 56))
	res, err := DominantEigenvalue(g, randVec(56, 1, rng), Options{MaxIter: 3, Tol: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	if res.Converged || res.Products != 3 || res.GradEvals != 10 {
		t.Errorf("got %+v, want 3 products (and 4 refining gradients), not converged", res)
	}
	if res.Ritz > 5+1e-12 || res.Value > 5+1e-9 {
		t.Errorf("Ritz value %.6g, refined %.6g, above λmax 5", res.Ritz, res.Value) // interlacing: θ ≤ λmax always
	}
	if res.Value < res.Ritz-1e-9 {
		t.Errorf("refined %.10g below the Ritz value %.10g: a quadratic's Rayleigh quotient is the Ritz value", res.Value, res.Ritz)
	}
}

func TestDeterministicSeed(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	a := withSpectrum(spectrumFor(56), rng)
	g := quadratic(a, randVec(56, 1, rng))
	alpha := randVec(56, 1, rng)
	r1, _ := DominantEigenvalue(g, alpha, Options{Seed: 42})
	r2, _ := DominantEigenvalue(g, alpha, Options{Seed: 42})
	r3, _ := DominantEigenvalue(g, alpha, Options{Seed: 43})
	if r1.Value != r2.Value || r1.Ritz != r2.Ritz || r1.Residual != r2.Residual || !slices.Equal(r1.Vector, r2.Vector) {
		t.Errorf("same seed, different results: %+v vs %+v", r1, r2)
	}
	if r1.Value == r3.Value || math.Abs(r3.Value-5) > 1e-6 {
		t.Errorf("seed 43: %.15g (seed 42: %.15g); want a different start giving the same eigenvalue", r3.Value, r1.Value)
	}
}

func TestGradErrorPropagates(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	g := func(alpha, grad []float64) error {
		calls++
		if calls == 3 {
			return boom
		}
		for i := range grad {
			grad[i] = float64(i+1) * alpha[i] // H = diag(1, 2, 3): needs more than one product
		}
		return nil
	}
	if _, err := DominantEigenvalue(g, []float64{1, 2, 3}, Options{}); !errors.Is(err, boom) {
		t.Errorf("DominantEigenvalue error = %v, want wrapping boom", err)
	}
	calls = 0
	if _, _, err := Exact(g, []float64{1, 2, 3}, 0); !errors.Is(err, boom) {
		t.Errorf("Exact error = %v, want wrapping boom", err)
	}
}

// TestExactSymmetrises: a "gradient" g(α) = Bα with the non-symmetric
// Jacobian B = [[1, 2], [0, 3]] gives (B+Bᵀ)/2 = [[1, 1], [1, 3]].
func TestExactSymmetrises(t *testing.T) {
	g := func(alpha, grad []float64) error {
		grad[0] = alpha[0] + 2*alpha[1]
		grad[1] = 3 * alpha[1]
		return nil
	}
	h, evals, err := Exact(g, []float64{0.3, -0.7}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := mat.NewSymDense(2, []float64{1, 1, 1, 3})
	if d := maxAbsDiff(h, want); d > 1e-9 || evals != 4 {
		t.Errorf("Exact = %v (%d evaluations), want [[1 1] [1 3]] with 4", mat.Formatted(h), evals)
	}
}

func TestFiniteDiffHVPScaleFree(t *testing.T) {
	// f = ½αᵀAα with A = [[2, 1], [1, −3]]: H·(3, 4) = (10, −9) whatever ‖v‖.
	g := func(alpha, grad []float64) error {
		grad[0] = 2*alpha[0] + alpha[1]
		grad[1] = alpha[0] - 3*alpha[1]
		return nil
	}
	hvp := FiniteDiffHVP(g, []float64{0.5, -0.25}, 0)
	out := make([]float64, 2)
	for _, s := range []float64{1, 1e-6, 1e6} {
		if err := hvp([]float64{3 * s, 4 * s}, out); err != nil {
			t.Fatal(err)
		}
		if math.Abs(out[0]-10*s) > 1e-9*s || math.Abs(out[1]+9*s) > 1e-9*s {
			t.Errorf("scale %g: H·v = %v, want (%g, %g)", s, out, 10*s, -9*s)
		}
	}
}

func benchSetup(n int) (GradFunc, []float64) {
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	a := withSpectrum(spectrumFor(n), rng)
	return quadratic(a, randVec(n, 1, rng)), randVec(n, 0.5, rng)
}

func BenchmarkDominantEigenvalue224(b *testing.B) {
	g, alpha := benchSetup(224)
	var res Result
	for b.Loop() {
		res, _ = DominantEigenvalue(g, alpha, Options{})
	}
	b.ReportMetric(float64(res.GradEvals), "gradevals/op")
}

func BenchmarkExact224(b *testing.B) {
	g, alpha := benchSetup(224)
	var evals int
	for b.Loop() {
		h, e, _ := Exact(g, alpha, 0)
		if _, err := Spectrum(h); err != nil {
			b.Fatal(err)
		}
		evals = e
	}
	b.ReportMetric(float64(evals), "gradevals/op")
}
