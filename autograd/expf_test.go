package autograd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFastMath bounds the error of expf, sigmoidf and tanhf against float64
// references over their useful ranges, and checks the edges.
func TestFastMath(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	check := func(name string, f func(float32) float32, ref func(float64) float64, lo, hi float64, relTol float64) {
		worst := 0.0
		for i := 0; i < 200000; i++ {
			x := float32(lo + (hi-lo)*r.Float64())
			want := ref(float64(x))
			got := float64(f(x))
			e := math.Abs(got-want) / max(math.Abs(want), 1e-30)
			worst = max(worst, e)
		}
		if worst > relTol {
			t.Errorf("%s: relative error %.3g on [%g, %g]", name, worst, lo, hi)
		}
		t.Logf("%s: worst relative error %.3g", name, worst)
	}
	check("expf", expf, math.Exp, -87, 88.7, 3e-7)
	check("sigmoidf", sigmoidf, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -80, 80, 4e-7)
	check("tanhf", tanhf, math.Tanh, -12, 12, 4e-7)
	check("tanhf small", tanhf, math.Tanh, -1e-3, 1e-3, 2e-7)
	sig := func(x float32) float32 { s, _ := sigmoidTanhf(x); return s }
	th := func(x float32) float32 { _, t := sigmoidTanhf(x); return t }
	check("sigmoidTanhf σ", sig, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -80, 80, 4e-7)
	check("sigmoidTanhf tanh", th, math.Tanh, -12, 12, 4e-7)
	check("sigmoidTanhf tanh small", th, math.Tanh, -1e-3, 1e-3, 2e-7)
	for _, c := range []struct {
		got, want float32
	}{
		{expf(0), 1}, {expf(100), float32(math.Inf(1))}, {expf(-100), 0},
		{sigmoidf(0), 0.5}, {sigmoidf(-200), 0}, {sigmoidf(200), 1},
		{tanhf(0), 0}, {tanhf(20), 1}, {tanhf(-20), -1},
	} {
		if c.got != c.want {
			t.Errorf("got %v, want %v", c.got, c.want)
		}
	}
	if nan := expf(float32(math.NaN())); nan == nan {
		t.Error("expf(NaN) is not NaN")
	}
}

func BenchmarkExpf(b *testing.B) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%200)*0.1 - 10
	}
	b.Run("expf", func(b *testing.B) {
		var s float32
		for i := 0; i < b.N; i++ {
			for _, v := range x {
				s += expf(v)
			}
		}
		_ = s
	})
	b.Run("math.Exp", func(b *testing.B) {
		var s float32
		for i := 0; i < b.N; i++ {
			for _, v := range x {
				s += float32(math.Exp(float64(v)))
			}
		}
		_ = s
	})
}
