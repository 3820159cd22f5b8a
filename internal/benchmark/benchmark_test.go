package benchmark

import (
	"context"
	"math"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/kernels/purego"
)

func TestSummarize(t *testing.T) {
	for _, c := range []struct {
		in                  []float64
		med, min, max, mean float64
	}{
		{[]float64{3}, 3, 3, 3, 3},
		{[]float64{5, 1, 3}, 3, 1, 5, 3},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4, 2.5},
		{[]float64{2, 2, 9, 1, 2}, 2, 1, 9, 3.2},
	} {
		in := append([]float64(nil), c.in...)
		s := Summarize(in)
		if s.N != len(c.in) || s.Median != c.med || s.Min != c.min || s.Max != c.max || math.Abs(s.Mean-c.mean) > 1e-12 {
			t.Errorf("Summarize(%v) = %+v, want median %g min %g max %g mean %g", c.in, s, c.med, c.min, c.max, c.mean)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Fatalf("Summarize modified its input: %v", in)
			}
		}
	}
	if s := Summarize(nil); s.N != 0 || !math.IsNaN(s.Median) {
		t.Errorf("Summarize(nil) = %+v, want N 0 and NaN", s)
	}
}

func TestConvFLOPs(t *testing.T) {
	for name, c := range map[string]struct {
		p    kernels.Conv
		want int64
	}{
		// 1×1 conv, 16→32 channels on 8×8, batch 2: 2·2·32·64·16.
		"pointwise": {kernels.Conv{N: 2, C: 16, H: 8, W: 8, K: 32, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1}, 2 * 2 * 32 * 64 * 16},
		// depthwise 3×3 stride 2 pad 1 on 32×32, 16 channels: 16×16 output, 9 taps per output.
		"depthwise": {kernels.Conv{N: 1, C: 16, H: 32, W: 32, K: 16, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 16}, 2 * 16 * 16 * 16 * 9},
		// dilated 5×5 (dilation 2, pad 4) keeps 7×7.
		"dilated": {kernels.Conv{N: 3, C: 4, H: 7, W: 7, K: 4, KH: 5, KW: 5, SH: 1, SW: 1, PH: 4, PW: 4, DH: 2, DW: 2, Groups: 4}, 2 * 3 * 4 * 49 * 25},
	} {
		if got := ConvFLOPs(c.p); got != c.want {
			t.Errorf("%s: ConvFLOPs = %d, want %d", name, got, c.want)
		}
	}
	if got := GemmFLOPs(3, 4, 5); got != 120 {
		t.Errorf("GemmFLOPs(3,4,5) = %d, want 120", got)
	}
}

// TestCounter checks that the counter adds the defined counts and still
// computes: a forward conv, both gradients and a GEMM.
func TestCounter(t *testing.T) {
	c := NewCounter(purego.Backend{})
	p := kernels.Conv{N: 1, C: 2, H: 4, W: 4, K: 3, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, Groups: 1}
	x, w, y := make([]float32, p.XLen()), make([]float32, p.WLen()), make([]float32, p.YLen())
	for i := range x {
		x[i] = 1
	}
	for i := range w {
		w[i] = 1
	}
	c.ConvForward(p, x, w, y)
	if y[5] != 18 { // interior pixel: 2 channels × 9 taps of 1·1
		t.Errorf("forward through the counter: y[5] = %g, want 18", y[5])
	}
	c.ConvBackwardData(p, y, w, make([]float32, p.XLen()), true)
	c.ConvBackwardFilter(p, x, y, make([]float32, p.WLen()))
	c.Sgemm(false, false, 2, 3, 4, 1, make([]float32, 8), 4, make([]float32, 12), 3, 0, make([]float32, 6), 3)
	if want := 3*ConvFLOPs(p) + GemmFLOPs(2, 3, 4); c.FLOPs() != want {
		t.Errorf("FLOPs = %d, want %d", c.FLOPs(), want)
	}
	c.Reset()
	if c.FLOPs() != 0 {
		t.Errorf("after Reset FLOPs = %d", c.FLOPs())
	}
}

func TestParseCPUInfo(t *testing.T) {
	for name, c := range map[string]struct {
		text  string
		model string
		mhz   float64
		per   int
	}{
		"intel avx512": {"processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\ncpu MHz\t\t: 2000.5\nflags\t\t: fpu sse avx2 fma avx512f\n\nprocessor\t: 1\nmodel name\t: other\n", "Xeon", 2000.5, 64},
		"amd avx512":   {"vendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2596.1\nflags\t\t: avx2 fma avx512f\n", "AMD EPYC", 2596.1, 32},
		"avx2":         {"vendor_id\t: GenuineIntel\ncpu MHz\t: 3000\nflags\t: sse avx avx2 fma\n", "", 3000, 32},
		"sse":          {"flags\t: sse sse2\n", "", 0, 8},
	} {
		model, mhz, per := parseCPUInfo([]byte(c.text))
		if model != c.model || mhz != c.mhz || per != c.per {
			t.Errorf("%s: got %q %g %d, want %q %g %d", name, model, mhz, per, c.model, c.mhz, c.per)
		}
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tx\nVmPeak:\t  999 kB\nVmHWM:\t    1536 kB\nVmRSS:\t 1000 kB\n"
	if got := parseVmHWM([]byte(status)); got != 1536*1024 {
		t.Errorf("parseVmHWM = %d, want %d", got, 1536*1024)
	}
	if got := parseVmHWM([]byte("Name:\tx\n")); got != 0 {
		t.Errorf("parseVmHWM without the line = %d, want 0", got)
	}
	if PeakRSS() <= 0 {
		t.Errorf("PeakRSS() = %d on this machine", PeakRSS())
	}
}

// TestRunTiny runs every item once at the tiny size with the pure-Go
// backend and checks the results are filled in.
func TestRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the networks")
	}
	res, err := Run(context.Background(), Options{Backend: purego.Backend{}, Spaces: []string{"s2"},
		Sizes: []Size{Sizes["tiny"]}, Items: AllItems, Steps: 1, Warmup: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(AllItems) {
		t.Fatalf("%d results, want %d", len(res), len(AllItems))
	}
	for _, r := range res {
		if r.Step.N != 1 || !(r.Step.Median > 0) || r.FLOPs <= 0 || r.GFLOPS <= 0 || r.PeakRSS <= 0 || r.WParams <= 0 {
			t.Errorf("%s: incomplete result %+v", r.Item, r)
		}
		switch r.Item {
		case ItemSearch1, ItemSearch2:
			if r.Alpha == nil || r.W == nil || r.ImagesPerSec <= 0 || r.NAlpha != 56 {
				t.Errorf("%s: missing parts %+v", r.Item, r)
			}
		case ItemEigen, ItemExact:
			if r.GradEvals <= 0 || r.EV == 0 {
				t.Errorf("%s: no eigenvalue %+v", r.Item, r)
			}
		}
	}
	// A second-order step does more work than a first-order one.
	if res[1].FLOPs <= res[0].FLOPs {
		t.Errorf("second-order FLOPs %d not above first-order %d", res[1].FLOPs, res[0].FLOPs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Options{Backend: purego.Backend{}, Spaces: []string{"s2"}, Sizes: []Size{Sizes["tiny"]}, Items: AllItems}); err == nil {
		t.Error("Run with a cancelled context: no error")
	}
}

// TestFMAPeak: where the loop is built, the measured peak is positive and
// below a bound no CPU core reaches (64 FLOPs/cycle at 10 GHz); Peak says
// which peak it returns.
func TestFMAPeak(t *testing.T) {
	p := FMAPeak(1)
	t.Logf("FMA peak, one thread: %.1f GFLOPS (widths %v)", p, fmaLevels())
	if len(fmaLevels()) > 0 && (p <= 0 || p > 640) {
		t.Errorf("FMAPeak(1) = %g GFLOPS", p)
	}
	if len(fmaLevels()) == 0 && p != 0 {
		t.Errorf("FMAPeak(1) = %g without a loop, want 0", p)
	}
	m := Machine{PeakGFLOPS: 100}
	if g, kind := m.Peak(); g != 100 || kind != "nominal" {
		t.Errorf("Peak() = %g, %s; want 100, nominal", g, kind)
	}
	m.FMAPeakGFLOPS = 150
	if g, kind := m.Peak(); g != 150 || kind != "measured" {
		t.Errorf("Peak() = %g, %s; want 150, measured", g, kind)
	}
}
