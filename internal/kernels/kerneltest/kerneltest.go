// Package kerneltest is the one test suite and benchmark set that every
// kernels.Backend runs (in the style of gonum's blas/testblas): a backend's
// own _test.go file is a one-line call to TestBackend and to each Benchmark.
//
// Sgemm is checked against a float64 triple loop, the conv and pool kernels
// against the purego reference on random inputs, and a few tiny cases
// against values worked out by hand, so the reference itself is pinned.
package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/kernels/purego"
	"github.com/rdarts/rdarts/internal/parallel"
)

// tol is the relative tolerance against the reference; float32 sums taken
// in another order differ by a few ulps per term.
const tol = 1e-4

// ref is the reference every backend is compared with.
var ref kernels.Backend = purego.Backend{}

// TestBackend runs the whole suite on b.
func TestBackend(t *testing.T, b kernels.Backend) {
	t.Run("HandComputed", func(t *testing.T) { testHand(t, b) })
	t.Run("Sgemm", func(t *testing.T) { testSgemm(t, b) })
	t.Run("Conv", func(t *testing.T) { testConv(t, b) })
	// Three chunks on a two-core machine exercise uneven chunk boundaries.
	t.Run("ConvWorkers3", func(t *testing.T) {
		defer parallel.SetWorkers(parallel.Workers())
		parallel.SetWorkers(3)
		testConv(t, b)
	})
	t.Run("Pool", func(t *testing.T) { testPool(t, b) })
	t.Run("Determinism", func(t *testing.T) { testDeterminism(t, b) })
	t.Run("Panics", func(t *testing.T) { testPanics(t, b) })
}

// randSlice returns n uniform values in [-1,1) from a fixed seed.
func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*rng.Float32() - 1
	}
	return s
}

// near reports whether got is within tol of want, relative to the larger
// of |want| and 1 (inputs are O(1), so an absolute floor avoids failing on
// values that cancel to nearly zero).
func near(got, want float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// checkClose reports the first few mismatches between got and want.
func checkClose(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if !near(float64(got[i]), float64(want[i])) || math.IsNaN(float64(got[i])) {
			if bad < 5 {
				t.Errorf("%s: [%d] = %g, want %g", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(got))
	}
}

// testHand pins the semantics on cases small enough to work out on paper.
func testHand(t *testing.T, b kernels.Backend) {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9} // one 3×3 plane

	// 2×2 filter, no padding: y[i][j] = Σ w[a][b]·x[i+a][j+b].
	p := kernels.Conv{N: 1, C: 1, H: 3, W: 3, K: 1, KH: 2, KW: 2, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1}
	w := []float32{1, 2, 3, 4}
	y := []float32{-7, -7, -7, -7} // forward must overwrite
	b.ConvForward(p, x, w, y)
	checkClose(t, "conv 2x2 forward", y, []float32{37, 47, 67, 77})
	ones := []float32{1, 1, 1, 1}
	dw := []float32{1, 1, 1, 1} // backward must accumulate
	b.ConvBackwardFilter(p, x, ones, dw)
	checkClose(t, "conv 2x2 backward filter", dw, []float32{13, 17, 25, 29})
	dx := make([]float32, 9)
	for i := range dx {
		dx[i] = 1
	}
	b.ConvBackwardData(p, ones, w, dx, true)
	checkClose(t, "conv 2x2 backward data", dx, []float32{2, 4, 3, 5, 11, 7, 4, 8, 5})

	// 3×3 box filter, pad 1, stride 2: each output sums the real pixels of
	// its window, so the corners see 4 pixels.
	p = kernels.Conv{N: 1, C: 1, H: 3, W: 3, K: 1, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 1}
	box := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	b.ConvForward(p, x, box, y)
	checkClose(t, "conv 3x3 pad 1 stride 2 forward", y, []float32{12, 16, 24, 28})

	// Depthwise 1×1: each channel is scaled by its own weight.
	p = kernels.Conv{N: 1, C: 2, H: 2, W: 2, K: 2, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 2}
	y8 := make([]float32, 8)
	b.ConvForward(p, []float32{1, 2, 3, 4, 10, 20, 30, 40}, []float32{2, 3}, y8)
	checkClose(t, "depthwise 1x1 forward", y8, []float32{2, 4, 6, 8, 30, 60, 90, 120})

	// Average pool, count_include_pad=false: the corner window holds 4
	// real pixels, an edge window 6, the centre 9.
	pp := kernels.Pool{N: 1, C: 1, H: 3, W: 3, K: 3, S: 1, P: 1}
	y9 := make([]float32, 9)
	b.AvgPoolForward(pp, x, y9)
	checkClose(t, "avg pool forward", y9, []float32{3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7})
	dx9 := make([]float32, 9)
	dy9 := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	b.AvgPoolBackward(pp, dy9, dx9)
	corner := float32(1.0/4 + 1.0/6 + 1.0/6 + 1.0/9)
	if !near(float64(dx9[0]), float64(corner)) || !near(float64(dx9[8]), float64(corner)) {
		t.Errorf("avg pool backward corner = %g, %g, want %g", dx9[0], dx9[8], corner)
	}
	var sum float64
	for _, v := range dx9 {
		sum += float64(v)
	}
	if !near(sum, 9) { // each window hands out exactly its dy
		t.Errorf("avg pool backward total = %g, want 9", sum)
	}

	// Max pool over an all-negative plane: the zero padding must never win.
	neg := []float32{-1, -2, -3, -4, -5, -6, -7, -8, -9}
	arg := make([]int32, 9)
	b.MaxPoolForward(pp, neg, y9, arg)
	checkClose(t, "max pool forward", y9, []float32{-1, -1, -2, -1, -1, -2, -4, -4, -5})
	wantArg := []int32{0, 0, 1, 0, 0, 1, 3, 3, 4}
	for i := range arg {
		if arg[i] != wantArg[i] {
			t.Fatalf("max pool arg = %v, want %v", arg, wantArg)
		}
	}
	clear(dx9)
	b.MaxPoolBackward(pp, dy9, arg, dx9)
	checkClose(t, "max pool backward", dx9, []float32{4, 2, 0, 2, 1, 0, 0, 0, 0})

	// Sgemm 2×2 with beta accumulating.
	c := []float32{1, 1, 1, 1}
	b.Sgemm(false, false, 2, 2, 2, 2, []float32{1, 2, 3, 4}, 2, []float32{5, 6, 7, 8}, 2, 0.5, c, 2)
	checkClose(t, "sgemm 2x2", c, []float32{38.5, 44.5, 86.5, 100.5})
}

// gemmRef is C = alpha*op(A)*op(B) + beta*C in float64.
func gemmRef(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float32 {
	out := append([]float32(nil), c...)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < k; l++ {
				ai, bi := i*lda+l, l*ldb+j
				if tA {
					ai = l*lda + i
				}
				if tB {
					bi = j*ldb + l
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 { // beta == 0 means C is not read (it may hold NaN)
				v += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*ldc+j] = float32(v)
		}
	}
	return out
}

func testSgemm(t *testing.T, b kernels.Backend) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 13, 19}, {64, 33, 100}, {130, 70, 45}, {16, 1024, 16}, {301, 263, 129}, {5, 4, 0}, {0, 3, 2}}
	for _, sz := range sizes {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {-0.5, 1}, {1.5, 0.7}} {
					alpha, beta := ab[0], ab[1]
					ar, ac, br, bc := m, k, k, n
					if tA {
						ar, ac = k, m
					}
					if tB {
						br, bc = n, k
					}
					// Leading dimensions larger than the column counts
					// check that padding is skipped and left untouched.
					lda, ldb, ldc := ac+3, bc+2, n+5
					a := randSlice(rng, max(ar*lda, 1))
					bm := randSlice(rng, max(br*ldb, 1))
					c := randSlice(rng, max(m*ldc, 1))
					if beta == 0 {
						for i := range c {
							c[i] = float32(math.NaN())
						}
					}
					want := gemmRef(tA, tB, m, n, k, alpha, a, lda, bm, ldb, beta, c, ldc)
					got := append([]float32(nil), c...)
					b.Sgemm(tA, tB, m, n, k, alpha, a, lda, bm, ldb, beta, got, ldc)
					name := fmt.Sprintf("sgemm tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g", tA, tB, m, n, k, alpha, beta)
					for i := 0; i < m; i++ {
						for j := 0; j < ldc; j++ {
							g, w := got[i*ldc+j], want[i*ldc+j]
							if j >= n { // padding: untouched, NaN stays NaN
								if math.Float32bits(g) != math.Float32bits(w) {
									t.Fatalf("%s: wrote padding C[%d,%d]", name, i, j)
								}
								continue
							}
							if !near(float64(g), float64(w)) || math.IsNaN(float64(g)) {
								t.Fatalf("%s: C[%d,%d] = %g, want %g", name, i, j, g, w)
							}
						}
					}
				}
			}
		}
	}
}

// conv builds a description with unit stride/dilation defaults filled in.
func conv(c, h, w, k, kh, kw, sh, sw, ph, pw, dh, dw, g int) kernels.Conv {
	return kernels.Conv{C: c, H: h, W: w, K: k, KH: kh, KW: kw, SH: sh, SW: sw, PH: ph, PW: pw, DH: dh, DW: dw, Groups: g}
}

// convCases are the shapes the network uses, plus odd ones that catch
// border, stride and H/W mix-ups. N is set by the caller.
var convCases = []struct {
	name string
	p    kernels.Conv
}{
	{"stem3x3_3to12_pad1", conv(3, 8, 8, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1)},
	{"regular3x3_16to16", conv(16, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1)},
	{"regular3x3_s2_7x7", conv(5, 7, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1)},
	{"regular3x3_dil2_nopad", conv(4, 9, 8, 5, 3, 3, 1, 1, 0, 0, 2, 2, 1)},
	{"pw1x1_s1", conv(6, 7, 7, 10, 1, 1, 1, 1, 0, 0, 1, 1, 1)},
	{"pw1x1_s1_pad1", conv(6, 5, 6, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1)},
	{"pw1x1_s2_8x8", conv(6, 8, 8, 10, 1, 1, 2, 2, 0, 0, 1, 1, 1)},
	{"pw1x1_s2_7x7", conv(6, 7, 7, 10, 1, 1, 2, 2, 0, 0, 1, 1, 1)},
	{"dw3x3_s1_p1", conv(4, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4)},
	{"dw3x3_s2_p1", conv(4, 8, 8, 4, 3, 3, 2, 2, 1, 1, 1, 1, 4)},
	{"dw3x3_s1_p1_7x7", conv(4, 7, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4)},
	{"dw3x3_s2_p1_7x7", conv(4, 7, 7, 4, 3, 3, 2, 2, 1, 1, 1, 1, 4)},
	{"dw3x3_s1_p1_6x9", conv(3, 6, 9, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3)},
	{"dw5x5_s1_p2", conv(4, 8, 8, 4, 5, 5, 1, 1, 2, 2, 1, 1, 4)},
	{"dw5x5_s2_p2", conv(4, 8, 8, 4, 5, 5, 2, 2, 2, 2, 1, 1, 4)},
	{"dw5x5_s2_p2_7x7", conv(4, 7, 7, 4, 5, 5, 2, 2, 2, 2, 1, 1, 4)},
	{"dil3x3_s1_p2_d2", conv(4, 8, 8, 4, 3, 3, 1, 1, 2, 2, 2, 2, 4)},
	{"dil3x3_s2_p2_d2", conv(4, 8, 8, 4, 3, 3, 2, 2, 2, 2, 2, 2, 4)},
	{"dil3x3_s1_p2_d2_7x7", conv(4, 7, 7, 4, 3, 3, 1, 1, 2, 2, 2, 2, 4)},
	{"dil5x5_s1_p4_d2", conv(4, 8, 8, 4, 5, 5, 1, 1, 4, 4, 2, 2, 4)},
	{"dil5x5_s2_p4_d2", conv(4, 8, 8, 4, 5, 5, 2, 2, 4, 4, 2, 2, 4)},
	{"dil5x5_s2_p4_d2_7x7", conv(4, 7, 7, 4, 5, 5, 2, 2, 4, 4, 2, 2, 4)},
	{"dw3x3_tiny_3x3", conv(2, 3, 3, 2, 3, 3, 1, 1, 1, 1, 1, 1, 2)},
	{"dw5x5_tiny_2x5", conv(2, 2, 5, 2, 5, 5, 1, 1, 2, 2, 1, 1, 2)},
	{"dw_mult2", conv(3, 6, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3)},
	// Depthwise rows long enough for vector loops plus a tail, and shapes
	// that leave the specialised kernels for the generic ones.
	{"dw3x3_s1_p1_19x37", conv(3, 19, 37, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3)},
	{"dw3x3_s1_p0_10x19", conv(2, 10, 19, 2, 3, 3, 1, 1, 0, 0, 1, 1, 2)},
	{"dw3x3_s2_p1_32x32", conv(2, 32, 32, 2, 3, 3, 2, 2, 1, 1, 1, 1, 2)},
	{"dw5x5_s1_p2_17x20", conv(2, 17, 20, 2, 5, 5, 1, 1, 2, 2, 1, 1, 2)},
	{"dw5x5_s2_p2_33x35", conv(2, 33, 35, 2, 5, 5, 2, 2, 2, 2, 1, 1, 2)},
	{"dil3x3_s1_p2_d2_16x16", conv(2, 16, 16, 2, 3, 3, 1, 1, 2, 2, 2, 2, 2)},
	{"dil5x5_s2_p4_d2_31x31", conv(2, 31, 31, 2, 5, 5, 2, 2, 4, 4, 2, 2, 2)},
	{"dw3x3_s3_p1_13x14", conv(2, 13, 14, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2)},
	{"dw3x5_s1x2_p1x2_d2x1", conv(2, 11, 20, 2, 3, 5, 1, 2, 1, 2, 2, 1, 2)},
	{"dw7x7_s1_p3_12x18", conv(2, 12, 18, 2, 7, 7, 1, 1, 3, 3, 1, 1, 2)},
	{"dw3x3_s1_p3_6x9", conv(2, 6, 9, 2, 3, 3, 1, 1, 3, 3, 1, 1, 2)},
	{"conv1x7_s1x2_p0x3", conv(4, 8, 8, 6, 1, 7, 1, 2, 0, 3, 1, 1, 1)},
	{"conv7x1_s2x1_p3x0", conv(4, 8, 8, 6, 7, 1, 2, 1, 3, 0, 1, 1, 1)},
	{"conv7x1_s2x1_p3x0_7x7", conv(4, 7, 7, 6, 7, 1, 2, 1, 3, 0, 1, 1, 1)},
	{"grouped3x3_g3", conv(6, 8, 8, 9, 3, 3, 1, 1, 1, 1, 1, 1, 3)},
	{"grouped1x1_g2_s2", conv(8, 7, 7, 4, 1, 1, 2, 2, 0, 0, 1, 1, 2)},
}

// runConv checks forward, backward data and backward filter of one shape
// against the reference; backward buffers start nonzero to test +=.
func runConv(t *testing.T, b kernels.Backend, p kernels.Conv) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(p.C*p.H*p.W), uint64(p.K*p.KH*p.KW*p.N)))
	x, w := randSlice(rng, p.XLen()), randSlice(rng, p.WLen())
	dy := randSlice(rng, p.YLen())
	dx0, dw0 := randSlice(rng, p.XLen()), randSlice(rng, p.WLen())

	want, got := make([]float32, p.YLen()), randSlice(rng, p.YLen())
	ref.ConvForward(p, x, w, want)
	b.ConvForward(p, x, w, got)
	checkClose(t, "forward", got, want)

	want, got = append([]float32(nil), dx0...), append([]float32(nil), dx0...)
	ref.ConvBackwardData(p, dy, w, want, true)
	b.ConvBackwardData(p, dy, w, got, true)
	checkClose(t, "backward data", got, want)
	// Overwriting: the garbage in got must not leak into the result.
	ref.ConvBackwardData(p, dy, w, want, false)
	got = randSlice(rng, p.XLen())
	b.ConvBackwardData(p, dy, w, got, false)
	checkClose(t, "backward data (overwrite)", got, want)

	want, got = append([]float32(nil), dw0...), append([]float32(nil), dw0...)
	ref.ConvBackwardFilter(p, x, dy, want)
	b.ConvBackwardFilter(p, x, dy, got)
	checkClose(t, "backward filter", got, want)
}

func testConv(t *testing.T, b kernels.Backend) {
	for _, tc := range convCases {
		for _, n := range []int{1, 5} {
			p := tc.p
			p.N = n
			t.Run(fmt.Sprintf("%s/N%d", tc.name, n), func(t *testing.T) { runConv(t, b, p) })
		}
	}
}

// poolCases are the pools the network uses on even and odd planes.
var poolCases = []kernels.Pool{
	{C: 3, H: 8, W: 8, K: 3, S: 1, P: 1},
	{C: 3, H: 8, W: 8, K: 3, S: 2, P: 1},
	{C: 3, H: 8, W: 8, K: 5, S: 3, P: 0},
	{C: 3, H: 7, W: 7, K: 3, S: 1, P: 1},
	{C: 3, H: 7, W: 7, K: 3, S: 2, P: 1},
	{C: 3, H: 7, W: 7, K: 5, S: 3, P: 0},
	{C: 2, H: 5, W: 9, K: 3, S: 1, P: 1},
	{C: 2, H: 2, W: 2, K: 3, S: 1, P: 1},
}

func testPool(t *testing.T, b kernels.Backend) {
	for _, pc := range poolCases {
		for _, n := range []int{1, 5} {
			p := pc
			p.N = n
			t.Run(fmt.Sprintf("%dx%d_k%d_s%d_p%d/N%d", p.H, p.W, p.K, p.S, p.P, n), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(p.H), uint64(p.K*p.N)))
				xn, yn := p.N*p.C*p.H*p.W, p.N*p.C*p.OutH()*p.OutW()
				x, dy, dx0 := randSlice(rng, xn), randSlice(rng, yn), randSlice(rng, xn)

				wantY, gotY := make([]float32, yn), randSlice(rng, yn)
				wantA, gotA := make([]int32, yn), make([]int32, yn)
				ref.MaxPoolForward(p, x, wantY, wantA)
				b.MaxPoolForward(p, x, gotY, gotA)
				checkClose(t, "max forward", gotY, wantY)
				for i := range gotA {
					if gotA[i] != wantA[i] {
						t.Fatalf("max forward arg[%d] = %d, want %d", i, gotA[i], wantA[i])
					}
				}
				wantDx, gotDx := append([]float32(nil), dx0...), append([]float32(nil), dx0...)
				ref.MaxPoolBackward(p, dy, wantA, wantDx)
				b.MaxPoolBackward(p, dy, wantA, gotDx)
				checkClose(t, "max backward", gotDx, wantDx)

				ref.AvgPoolForward(p, x, wantY)
				b.AvgPoolForward(p, x, gotY)
				checkClose(t, "avg forward", gotY, wantY)
				wantDx, gotDx = append([]float32(nil), dx0...), append([]float32(nil), dx0...)
				ref.AvgPoolBackward(p, dy, wantDx)
				b.AvgPoolBackward(p, dy, gotDx)
				checkClose(t, "avg backward", gotDx, wantDx)
			})
		}
	}
}

// sameBits fails unless a and b are bit-identical.
func sameBits(t *testing.T, what string, a, b []float32) {
	t.Helper()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("%s: not deterministic at [%d]: %g vs %g", what, i, a[i], b[i])
		}
	}
}

// testDeterminism runs each kernel twice on shapes large enough to take
// the parallel paths and demands bit-identical results.
func testDeterminism(t *testing.T, b kernels.Backend) {
	shapes := []kernels.Conv{
		conv(16, 16, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1),
		conv(16, 16, 16, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1),
		conv(16, 16, 16, 16, 5, 5, 1, 1, 4, 4, 2, 2, 16),
		conv(16, 16, 16, 16, 3, 3, 2, 2, 1, 1, 1, 1, 16),
	}
	for _, p := range shapes {
		p.N = 9
		rng := rand.New(rand.NewPCG(7, 8))
		x, w, dy := randSlice(rng, p.XLen()), randSlice(rng, p.WLen()), randSlice(rng, p.YLen())
		var outs [2][3][]float32
		for r := range outs {
			y, dx, dw := make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())
			b.ConvForward(p, x, w, y)
			b.ConvBackwardData(p, dy, w, dx, true)
			b.ConvBackwardFilter(p, x, dy, dw)
			outs[r] = [3][]float32{y, dx, dw}
		}
		for i, what := range []string{"forward", "backward data", "backward filter"} {
			sameBits(t, fmt.Sprintf("%+v %s", p, what), outs[0][i], outs[1][i])
		}
		if p.Groups == 1 {
			continue
		}
		// Depthwise: the worker count must not change the bits either.
		for _, workers := range []int{1, 3} {
			y, dx, dw := make([]float32, p.YLen()), make([]float32, p.XLen()), make([]float32, p.WLen())
			func() {
				defer parallel.SetWorkers(parallel.Workers())
				parallel.SetWorkers(workers)
				b.ConvForward(p, x, w, y)
				b.ConvBackwardData(p, dy, w, dx, true)
				b.ConvBackwardFilter(p, x, dy, dw)
			}()
			got := [3][]float32{y, dx, dw}
			for i, what := range []string{"forward", "backward data", "backward filter"} {
				sameBits(t, fmt.Sprintf("%+v %s, %d workers", p, what, workers), got[i], outs[0][i])
			}
		}
	}
	m, n, k := 257, 300, 190
	rng := rand.New(rand.NewPCG(9, 10))
	a, bm := randSlice(rng, m*k), randSlice(rng, k*n)
	c1, c2 := make([]float32, m*n), make([]float32, m*n)
	b.Sgemm(false, true, m, n, k, 1, a, k, bm, k, 0, c1, n)
	b.Sgemm(false, true, m, n, k, 1, a, k, bm, k, 0, c2, n)
	sameBits(t, "sgemm", c1, c2)
}

// mustPanic fails unless f panics with a "kernels:" message.
func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", what)
			return
		}
		if s, ok := r.(string); !ok || !strings.HasPrefix(s, "kernels:") {
			t.Errorf("%s: panic %v, want a \"kernels:\" message", what, r)
		}
	}()
	f()
}

func testPanics(t *testing.T, b kernels.Backend) {
	mustPanic(t, "sgemm short a", func() {
		b.Sgemm(false, false, 4, 4, 4, 1, make([]float32, 15), 4, make([]float32, 16), 4, 0, make([]float32, 16), 4)
	})
	mustPanic(t, "sgemm short c", func() {
		b.Sgemm(false, false, 4, 4, 4, 1, make([]float32, 16), 4, make([]float32, 16), 4, 0, make([]float32, 15), 4)
	})
	mustPanic(t, "sgemm bad ldb", func() {
		b.Sgemm(false, true, 4, 4, 4, 1, make([]float32, 16), 4, make([]float32, 16), 3, 0, make([]float32, 16), 4)
	})
	p := conv(2, 4, 4, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1)
	p.N = 1
	mustPanic(t, "conv short y", func() { b.ConvForward(p, make([]float32, 32), make([]float32, 36), make([]float32, 31)) })
	mustPanic(t, "conv short dx", func() { b.ConvBackwardData(p, make([]float32, 32), make([]float32, 36), make([]float32, 31), true) })
	mustPanic(t, "conv short dw", func() { b.ConvBackwardFilter(p, make([]float32, 32), make([]float32, 32), make([]float32, 35)) })
	pp := kernels.Pool{N: 1, C: 1, H: 4, W: 4, K: 3, S: 1, P: 1}
	mustPanic(t, "pool short y", func() { b.AvgPoolForward(pp, make([]float32, 16), make([]float32, 15)) })
	mustPanic(t, "max pool short arg", func() { b.MaxPoolForward(pp, make([]float32, 16), make([]float32, 16), make([]int32, 15)) })
}
