package vec

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// kernels is one implementation of the package's operations, so that one
// suite checks them all: the API (C with cgo, Go without), the Go kernels,
// and with cgo each instruction-set level of the C kernels.
type kernels struct {
	relu         func(dst, src []float32)
	reluGrad     func(dst, y, dy []float32, add bool)
	reluMaskGrad func(dst, x, dy []float32, add bool)
	axpy         func(dst []float32, a float32, src []float32, add bool)
	dot          func(a, b []float32) float64
	sumSq        func(x []float32, n, hw, stride int, k float32) (float64, float64)
	dots         func(dy, x []float32, n, hw, stride int) (float64, float64)
	affine       func(dst, x []float32, n, hw, stride int, scale, shift float32)
	affineGrad   func(dst, dy, x []float32, n, hw, stride int, k, p, q float32, add bool)
	weightedSum  func(dst, w []float32, xs [][]float32)
	// The batch-norm kernels with a ReLU folded in.
	dotsReLU       func(dy, y, x []float32, n, hw, stride int) (float64, float64)
	affineReLU     func(dst, x []float32, n, hw, stride int, scale, shift float32)
	affineGradReLU func(dst, dy, y, x []float32, n, hw, stride int, k, p, q float32, add bool)
	dotAxpy        func(dst []float32, a float32, src, x []float32, add bool, acc float64) float64
}

var (
	apiKernels = kernels{ReLU, ReLUGrad, ReLUMaskGrad, Axpy, Dot, SumSq, Dots, Affine, AffineGrad, WeightedSum,
		DotsReLU, AffineReLU, AffineGradReLU, DotAxpy}
	goKernels = kernels{goReLU, goReLUGrad, goReLUMaskGrad, goAxpy, goDot, goSumSq, goDots, goAffine, goAffineGrad, goWeightedSum,
		goDotsReLU, goAffineReLU, goAffineGradReLU, goDotAxpy}
)

var sizes = []int{0, 1, 7, 15, 16, 17, 31, 33, 63, 64, 65, 1000, 1024, 1025, 4099}

// layouts are (n, hw, stride) plane sets, including planes longer than a
// block and stride = hw.
var layouts = [][3]int{
	{0, 5, 5}, {3, 0, 4}, {1, 1, 1}, {3, 7, 10}, {2, 15, 15}, {4, 17, 40}, {3, 16, 16},
	{8, 49, 49 * 16}, {5, 1000, 1001}, {3, 1024, 4096}, {2, 4099, 5000}, {64, 64, 64 * 3},
}

// data returns n standard normal values with a few exact +0, -0 and, if
// special, NaN and ±Inf sprinkled in.
func data(r *rand.Rand, n int, special bool) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
		switch r.IntN(16) {
		case 0:
			x[i] = 0
		case 1:
			x[i] = float32(math.Copysign(0, -1))
		case 2:
			if special {
				x[i] = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}[r.IntN(3)]
			}
		}
	}
	return x
}

func need(n, hw, stride int) int {
	if n == 0 || hw == 0 {
		return 0
	}
	return (n-1)*stride + hw
}

// inPlane reports whether index i of a plane layout is inside a plane.
func inPlane(i, hw, stride int) bool { return i%stride < hw }

func same(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

// near reports whether got is within tol·scale of want (both NaN counts).
func near(got, want, scale, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*scale+1e-30
}

// frozen copies inputs so that a test can check they were not modified.
func frozen(t *testing.T, xs ...[]float32) func() {
	cp := make([][]float32, len(xs))
	for i, x := range xs {
		cp[i] = slices.Clone(x)
	}
	return func() {
		t.Helper()
		for i := range xs {
			for j := range xs[i] {
				if !same(xs[i][j], cp[i][j]) {
					t.Fatalf("input %d modified at %d: %v → %v", i, j, cp[i][j], xs[i][j])
				}
			}
		}
	}
}

// twice runs f on two fresh copies of dst0 and checks the results agree to
// the bit; it returns one of them.
func twice(t *testing.T, dst0 []float32, f func(dst []float32)) []float32 {
	t.Helper()
	a, b := slices.Clone(dst0), slices.Clone(dst0)
	f(a)
	f(b)
	for i := range a {
		if !same(a[i], b[i]) {
			t.Fatalf("not deterministic at %d: %v vs %v", i, a[i], b[i])
		}
	}
	return a
}

func testKernels(t *testing.T, k kernels) {
	r := rand.New(rand.NewPCG(1, 2))
	const tol = 4e-7 // a few float32 roundings, relative to the terms' magnitude
	for _, n := range sizes {
		src, dy, dst0 := data(r, n, true), data(r, n, true), data(r, n, false)
		check := frozen(t, src, dy)

		got := twice(t, dst0, func(d []float32) { k.relu(d, src) })
		for i, v := range src {
			want := v
			if v <= 0 {
				want = 0
			}
			if !same(got[i], want) && !(math.IsNaN(float64(v)) && math.IsNaN(float64(got[i]))) {
				t.Fatalf("ReLU n=%d [%d]: relu(%v) = %v (bits %x), want %v", n, i, v, got[i], math.Float32bits(got[i]), want)
			}
		}
		y := twice(t, dst0, func(d []float32) { k.relu(d, src) }) // a real ReLU output, NaN included
		for _, add := range []bool{false, true} {
			for _, mc := range []struct {
				name string
				f    func(dst, m, dy []float32, add bool)
				m    []float32
				pass func(m float32) bool
			}{
				{"ReLUGrad", k.reluGrad, y, func(m float32) bool { return m != 0 }},
				{"ReLUMaskGrad", k.reluMaskGrad, src, func(m float32) bool { return m > 0 }},
			} {
				got := twice(t, dst0, func(d []float32) { mc.f(d, mc.m, dy, add) })
				for i := range got {
					g := 0.0
					if mc.pass(mc.m[i]) {
						g = float64(dy[i])
					}
					if add {
						g += float64(dst0[i])
					}
					if want := float32(g); !same(got[i], want) && !(math.IsNaN(g) && math.IsNaN(float64(got[i]))) {
						t.Fatalf("%s n=%d add=%v [%d]: m=%v dy=%v dst=%v: got %v, want %v", mc.name, n, add, i, mc.m[i], dy[i], dst0[i], got[i], want)
					}
				}
			}
		}

		a, b := data(r, n, false), data(r, n, false)
		check2 := frozen(t, a, b)
		const s = float32(-1.7)
		for _, add := range []bool{false, true} {
			got := twice(t, dst0, func(d []float32) { k.axpy(d, s, a, add) })
			for i := range got {
				want, scale := float64(s)*float64(a[i]), math.Abs(float64(s)*float64(a[i]))
				if add {
					want += float64(dst0[i])
					scale += math.Abs(float64(dst0[i]))
				}
				if !near(float64(got[i]), want, scale, tol) {
					t.Fatalf("Axpy n=%d add=%v [%d]: got %v, want %v", n, add, i, got[i], want)
				}
			}
		}
		d1, d2 := k.dot(a, b), k.dot(a, b)
		var want, scale float64
		for i := range a {
			want += float64(a[i]) * float64(b[i])
			scale += math.Abs(float64(a[i]) * float64(b[i]))
		}
		if math.Float64bits(d1) != math.Float64bits(d2) || !near(d1, want, scale, 1e-5) {
			t.Fatalf("Dot n=%d: got %v then %v, want %v", n, d1, d2, want)
		}
		testDotAxpy(t, k, a, b, dst0)
		check()
		check2()
	}

	for _, l := range layouts {
		n, hw, stride := l[0], l[1], l[2]
		m := need(n, hw, stride)
		x, dy, dst0 := data(r, m, false), data(r, m, false), data(r, m, false)
		for i := range x {
			x[i] = 3 + x[i]/2 // a mean away from 0, as activations have
		}
		check := frozen(t, x, dy)
		var ws, wq, wsd, wd, as, aq, asd, ad float64
		const kk = float32(3.1)
		for i := range x {
			if !inPlane(i, hw, stride) {
				continue
			}
			c := float64(x[i]) - float64(kk)
			ws, wq, as, aq = ws+c, wq+c*c, as+math.Abs(c), aq+c*c
			g := float64(dy[i])
			wsd, wd, asd, ad = wsd+g, wd+g*float64(x[i]), asd+math.Abs(g), ad+math.Abs(g*float64(x[i]))
		}
		for rep := 0; rep < 2; rep++ {
			s, q := k.sumSq(x, n, hw, stride, kk)
			if !near(s, ws, as, 1e-5) || !near(q, wq, aq, 1e-5) {
				t.Fatalf("SumSq %v: got %v, %v, want %v, %v", l, s, q, ws, wq)
			}
			s2, q2 := k.sumSq(x, n, hw, stride, kk)
			if math.Float64bits(s) != math.Float64bits(s2) || math.Float64bits(q) != math.Float64bits(q2) {
				t.Fatalf("SumSq %v not deterministic", l)
			}
			sd, d := k.dots(dy, x, n, hw, stride)
			if !near(sd, wsd, asd, 1e-5) || !near(d, wd, ad, 1e-5) {
				t.Fatalf("Dots %v: got %v, %v, want %v, %v", l, sd, d, wsd, wd)
			}
			sd2, d2 := k.dots(dy, x, n, hw, stride)
			if math.Float64bits(sd) != math.Float64bits(sd2) || math.Float64bits(d) != math.Float64bits(d2) {
				t.Fatalf("Dots %v not deterministic", l)
			}
		}

		const sc, sh = float32(0.37), float32(-1.2)
		got := twice(t, dst0, func(d []float32) { k.affine(d, x, n, hw, stride, sc, sh) })
		for i := range got {
			if !inPlane(i, hw, stride) {
				if !same(got[i], dst0[i]) {
					t.Fatalf("Affine %v wrote between planes at %d", l, i)
				}
				continue
			}
			p := float64(x[i]) * float64(sc)
			if !near(float64(got[i]), p+float64(sh), math.Abs(p)+math.Abs(float64(sh)), tol) {
				t.Fatalf("Affine %v [%d]: got %v, want %v", l, i, got[i], p+float64(sh))
			}
		}
		const gk, gp, gq = float32(0.9), float32(-0.013), float32(0.002)
		for _, add := range []bool{false, true} {
			got := twice(t, dst0, func(d []float32) { k.affineGrad(d, dy, x, n, hw, stride, gk, gp, gq, add) })
			for i := range got {
				if !inPlane(i, hw, stride) {
					if !same(got[i], dst0[i]) {
						t.Fatalf("AffineGrad %v wrote between planes at %d", l, i)
					}
					continue
				}
				a, b := float64(gk)*float64(dy[i]), float64(gp)*float64(x[i])
				want, scale := a+b+float64(gq), math.Abs(a)+math.Abs(b)+math.Abs(float64(gq))
				if add {
					want += float64(dst0[i])
					scale += math.Abs(float64(dst0[i]))
				}
				if !near(float64(got[i]), want, scale, tol) {
					t.Fatalf("AffineGrad %v add=%v [%d]: got %v, want %v", l, add, i, got[i], want)
				}
			}
		}
		testReLUFused(t, k, l, x, dy, dst0)
		check()
	}

	for _, n := range []int{1, 100, 3*wsTile + 5} {
		xs := [][]float32{nil, data(r, n, false), data(r, n, false), nil, data(r, n, false)}
		w := []float32{0.5, 0.25, -1.5, 7, 0.125}
		check := frozen(t, xs[1], xs[2], xs[4], w)
		got := twice(t, data(r, n, false), func(d []float32) { k.weightedSum(d, w, xs) })
		seq := make([]float32, n)
		goAxpy(seq, w[1], xs[1], false)
		goAxpy(seq, w[2], xs[2], true)
		goAxpy(seq, w[4], xs[4], true)
		for i := range got {
			if !same(got[i], seq[i]) {
				t.Fatalf("WeightedSum n=%d [%d]: got %v, sequential Axpy gives %v", n, i, got[i], seq[i])
			}
			var want, scale float64
			for j, x := range xs {
				if x != nil {
					want += float64(w[j]) * float64(x[i])
					scale += math.Abs(float64(w[j]) * float64(x[i]))
				}
			}
			if !near(float64(got[i]), want, scale, 3*tol) {
				t.Fatalf("WeightedSum n=%d [%d]: got %v, want %v", n, i, got[i], want)
			}
		}
		check()
	}
}

// testReLUFused wants the batch-norm kernels with a ReLU folded in to give
// the bits of the separate kernels: AffineReLU those of Affine then ReLU,
// DotsReLU and AffineGradReLU those of ReLUGrad then Dots or AffineGrad.
func testReLUFused(t *testing.T, k kernels, l [3]int, x, dy, dst0 []float32) {
	t.Helper()
	n, hw, stride := l[0], l[1], l[2]
	eq := func(op string, a, b []float32) {
		t.Helper()
		for i := range a {
			if !same(a[i], b[i]) && !(math.IsNaN(float64(a[i])) && math.IsNaN(float64(b[i]))) {
				t.Fatalf("%s %v: differs from the separate kernels at %d: %v vs %v", op, l, i, a[i], b[i])
			}
		}
	}
	// y: a ReLU output with zeros where x is below its mean, and a NaN.
	y := slices.Clone(x)
	for i := range y {
		y[i] -= 3
	}
	if len(y) > 2 {
		y[len(y)/2] = float32(math.NaN())
	}
	goReLU(y, y)
	const sc, sh = float32(0.37), float32(-1.2)
	got := twice(t, dst0, func(d []float32) { k.affineReLU(d, x, n, hw, stride, sc, sh) })
	want := slices.Clone(dst0)
	k.affine(want, x, n, hw, stride, sc, sh)
	for p := 0; p < n && hw > 0; p++ {
		goReLU(want[p*stride:p*stride+hw], want[p*stride:p*stride+hw])
	}
	eq("AffineReLU", got, want)

	g := slices.Clone(dy)
	goReLUGrad(g, y, dy, false)
	s1, d1 := k.dotsReLU(dy, y, x, n, hw, stride)
	s2, d2 := k.dots(g, x, n, hw, stride)
	if math.Float64bits(s1) != math.Float64bits(s2) || math.Float64bits(d1) != math.Float64bits(d2) {
		t.Fatalf("DotsReLU %v: %v, %v, separate kernels %v, %v", l, s1, d1, s2, d2)
	}
	for _, add := range []bool{false, true} {
		got := twice(t, dst0, func(d []float32) { k.affineGradReLU(d, dy, y, x, n, hw, stride, 0.9, -0.013, 0.002, add) })
		want := slices.Clone(dst0)
		k.affineGrad(want, g, x, n, hw, stride, 0.9, -0.013, 0.002, add)
		eq("AffineGradReLU", got, want)
	}
}

// testDotAxpy wants DotAxpy to give Dot's and Axpy's bits, whole or in
// pieces of whole blocks with the sum carried along.
func testDotAxpy(t *testing.T, k kernels, a, b, dst0 []float32) {
	t.Helper()
	want := k.dot(a, b)
	for _, add := range []bool{false, true} {
		wantD := slices.Clone(dst0)
		k.axpy(wantD, -0.3, a, add)
		for _, piece := range []int{block, 3 * block, len(a) + 1} {
			d, acc := slices.Clone(dst0), 0.0
			for lo := 0; lo < len(a); lo += piece {
				hi := min(lo+piece, len(a))
				acc = k.dotAxpy(d[lo:hi], -0.3, a[lo:hi], b[lo:hi], add, acc)
			}
			if math.Float64bits(acc) != math.Float64bits(want) {
				t.Fatalf("DotAxpy n=%d piece %d: sum %v, Dot %v", len(a), piece, acc, want)
			}
			for i := range d {
				if !same(d[i], wantD[i]) {
					t.Fatalf("DotAxpy n=%d piece %d add=%v [%d]: %v, Axpy %v", len(a), piece, add, i, d[i], wantD[i])
				}
			}
		}
	}
	if got := k.dotAxpy(nil, 1, a, b, false, 0); math.Float64bits(got) != math.Float64bits(want) {
		t.Fatalf("DotAxpy n=%d without dst: %v, Dot %v", len(a), got, want)
	}
}

func TestAPI(t *testing.T) { testKernels(t, apiKernels) }
func TestGo(t *testing.T)  { testKernels(t, goKernels) }

// TestSameAsGo checks that the API agrees with the Go kernels to the bit
// (with cgo: C and Go compute the same operations in the same order).
func TestSameAsGo(t *testing.T) { compareKernels(t, apiKernels, goKernels) }

// compareKernels runs a and b on the same inputs and wants bit-identical
// results.
func compareKernels(t *testing.T, a, b kernels) {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	eq := func(op string, x, y []float32) {
		t.Helper()
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				t.Fatalf("%s: differ at %d of %d: %v vs %v", op, i, len(x), x[i], y[i])
			}
		}
	}
	eq64 := func(op string, x, y float64) {
		t.Helper()
		if math.Float64bits(x) != math.Float64bits(y) {
			t.Fatalf("%s: %v vs %v", op, x, y)
		}
	}
	for _, n := range sizes {
		src, dy, dst := data(r, n, true), data(r, n, true), data(r, n, false)
		y := make([]float32, n)
		goReLU(y, src)
		run := func(op string, f func(k kernels, d []float32)) {
			t.Helper()
			da, db := slices.Clone(dst), slices.Clone(dst)
			f(a, da)
			f(b, db)
			eq(op, da, db)
		}
		run("ReLU", func(k kernels, d []float32) { k.relu(d, src) })
		for _, add := range []bool{false, true} {
			run("ReLUGrad", func(k kernels, d []float32) { k.reluGrad(d, y, dy, add) })
			run("ReLUMaskGrad", func(k kernels, d []float32) { k.reluMaskGrad(d, src, dy, add) })
			run("Axpy", func(k kernels, d []float32) { k.axpy(d, 0.3, src, add) })
		}
		u, v := data(r, n, false), data(r, n, false)
		eq64("Dot", a.dot(u, v), b.dot(u, v))
		for _, add := range []bool{false, true} {
			da, db := slices.Clone(dst), slices.Clone(dst)
			eq64("DotAxpy", a.dotAxpy(da, 0.7, u, v, add, 0.5), b.dotAxpy(db, 0.7, u, v, add, 0.5))
			eq("DotAxpy", da, db)
		}
	}
	for _, l := range layouts {
		n, hw, stride := l[0], l[1], l[2]
		m := need(n, hw, stride)
		x, dy, dst := data(r, m, false), data(r, m, false), data(r, m, false)
		s1, q1 := a.sumSq(x, n, hw, stride, 0.2)
		s2, q2 := b.sumSq(x, n, hw, stride, 0.2)
		eq64("SumSq s", s1, s2)
		eq64("SumSq q", q1, q2)
		s1, q1 = a.dots(dy, x, n, hw, stride)
		s2, q2 = b.dots(dy, x, n, hw, stride)
		eq64("Dots s", s1, s2)
		eq64("Dots d", q1, q2)
		da, db := slices.Clone(dst), slices.Clone(dst)
		a.affine(da, x, n, hw, stride, 1.3, -0.7)
		b.affine(db, x, n, hw, stride, 1.3, -0.7)
		eq("Affine", da, db)
		for _, add := range []bool{false, true} {
			da, db := slices.Clone(dst), slices.Clone(dst)
			a.affineGrad(da, dy, x, n, hw, stride, 0.9, -0.11, 0.05, add)
			b.affineGrad(db, dy, x, n, hw, stride, 0.9, -0.11, 0.05, add)
			eq("AffineGrad", da, db)
		}
		y := slices.Clone(x)
		goReLU(y, y)
		s1, q1 = a.dotsReLU(dy, y, x, n, hw, stride)
		s2, q2 = b.dotsReLU(dy, y, x, n, hw, stride)
		eq64("DotsReLU s", s1, s2)
		eq64("DotsReLU d", q1, q2)
		da, db = slices.Clone(dst), slices.Clone(dst)
		a.affineReLU(da, x, n, hw, stride, 1.3, -0.7)
		b.affineReLU(db, x, n, hw, stride, 1.3, -0.7)
		eq("AffineReLU", da, db)
		for _, add := range []bool{false, true} {
			da, db := slices.Clone(dst), slices.Clone(dst)
			a.affineGradReLU(da, dy, y, x, n, hw, stride, 0.9, -0.11, 0.05, add)
			b.affineGradReLU(db, dy, y, x, n, hw, stride, 0.9, -0.11, 0.05, add)
			eq("AffineGradReLU", da, db)
		}
	}
}

func TestInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := data(r, 1000, true)
	want := make([]float32, len(x))
	ReLU(want, x)
	ReLU(x, x)
	for i := range x {
		if !same(x[i], want[i]) && !(math.IsNaN(float64(x[i])) && math.IsNaN(float64(want[i]))) {
			t.Fatalf("in-place ReLU differs at %d", i)
		}
	}
	x = data(r, 1000, false)
	want = make([]float32, len(x))
	Affine(want, x, 10, 100, 100, 2, 1)
	Affine(x, x, 10, 100, 100, 2, 1)
	for i := range x {
		if !same(x[i], want[i]) {
			t.Fatalf("in-place Affine differs at %d", i)
		}
	}
}

func TestPanics(t *testing.T) {
	buf := make([]float32, 10)
	for name, f := range map[string]func(){
		"ReLU":           func() { ReLU(buf[:3], buf[:4]) },
		"ReLUGrad":       func() { ReLUGrad(buf[:3], buf[:3], buf[:4], true) },
		"ReLUMaskGrad":   func() { ReLUMaskGrad(buf[:3], buf[:2], buf[:3], false) },
		"Axpy":           func() { Axpy(buf[:3], 1, buf[:4], false) },
		"Dot":            func() { Dot(buf[:3], buf[:4]) },
		"SumSq short":    func() { SumSq(buf, 2, 5, 6, 0) },
		"SumSq stride":   func() { SumSq(buf, 2, 5, 4, 0) },
		"Dots":           func() { Dots(buf[:9], buf, 2, 5, 5) },
		"Affine":         func() { Affine(buf[:5], buf, 2, 3, 4, 1, 0) },
		"AffineGrad":     func() { AffineGrad(buf, buf, buf[:6], 2, 3, 4, 1, 1, 0, true) },
		"DotsReLU":       func() { DotsReLU(buf, buf[:6], buf, 2, 3, 4) },
		"AffineReLU":     func() { AffineReLU(buf[:5], buf, 2, 3, 4, 1, 0) },
		"DotAxpy":        func() { DotAxpy(buf[:3], 1, buf[:3], buf[:4], false, 0) },
		"AffineGradReLU": func() { AffineGradReLU(buf, buf, buf[:6], buf, 2, 3, 4, 1, 1, 0, true) },
		"negative n":     func() { Affine(buf, buf, -1, 3, 4, 1, 0) },
		"WS lengths":     func() { WeightedSum(buf, []float32{1}, [][]float32{buf[:9]}) },
		"WS weights":     func() { WeightedSum(buf, []float32{1, 2}, [][]float32{buf}) },
		"WS nil inputs":  func() { WeightedSum(buf, []float32{1}, [][]float32{nil}) },
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "vec: ") {
					t.Errorf("%s: recovered %q, want a panic starting \"vec: \"", name, msg)
				}
			}()
			f()
		}()
	}
}
