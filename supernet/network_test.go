package supernet

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels/purego"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/tensor"
)

func tiny(t *testing.T, name string, layers, c, in int) *Network {
	t.Helper()
	sp, err := space.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(Config{Space: sp, InChannels: in, Classes: 3, C: c, Layers: layers}, 7)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func batch(n, c, h int) (*tensor.Tensor, []int32) {
	r := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(n, c, h, h)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(r.IntN(3))
	}
	return x, y
}

func TestReductionPositions(t *testing.T) {
	for _, c := range []struct {
		l    int
		want []int
	}{{5, []int{1, 3}}, {8, []int{2, 5}}, {20, []int{6, 13}}, {3, []int{1, 2}}} {
		var got []int
		for i := 0; i < c.l; i++ {
			if IsReduction(i, c.l) {
				got = append(got, i)
			}
		}
		if len(got) != 2 || got[0] != c.want[0] || got[1] != c.want[1] {
			t.Errorf("L=%d: reductions at %v, want %v", c.l, got, c.want)
		}
	}
}

func TestOutputShapes(t *testing.T) {
	for _, h := range []int{32, 28} {
		for _, sp := range []string{"s1", "s3", "s4", "s5", "darts"} {
			n := tiny(t, sp, 3, 4, 1)
			x, _ := batch(2, 1, h)
			tp := autograd.NewTape(purego.Backend{})
			tp.NoGrad = true
			c := &nn.Ctx{T: tp, Train: true, Rng: rand.New(rand.NewPCG(1, 1))}
			y := n.Forward(c, tp.Const(x), false)
			if y.Shape()[0] != 2 || y.Shape()[1] != 3 {
				t.Errorf("%s %dx%d: logits %v", sp, h, h, y.Shape())
			}
		}
	}
}

// TestGradient checks ∂L/∂α and ∂L/∂w of the whole one-shot network against
// central differences (L=3, C=4, 8×8 input).
func TestGradient(t *testing.T) {
	for _, sp := range []string{"s2", "s1"} {
		n := tiny(t, sp, 3, 4, 3)
		x, y := batch(4, 3, 8)
		loss := func(grad bool) float64 {
			tp := autograd.NewTape(purego.Backend{})
			tp.NoGrad = !grad
			c := &nn.Ctx{T: tp, Train: true, Rng: rand.New(rand.NewPCG(1, 1))}
			l := tp.CrossEntropy(n.Forward(c, tp.Const(x), false), y)
			if grad {
				tp.Backward(l)
			}
			return float64(l.Value.Data[0])
		}
		n.W.ZeroGrad()
		for _, a := range n.Alphas() {
			a.ZeroGrad()
		}
		loss(true)
		// α starts near 0, where the loss is flat in α; scale it up so the
		// gradient is not dominated by rounding.
		check := func(what string, v *autograd.Var, eps float64) {
			r := rand.New(rand.NewPCG(9, 9))
			for k := 0; k < 6; k++ {
				j := r.IntN(v.Value.Len())
				old := v.Value.Data[j]
				v.Value.Data[j] = old + float32(eps)
				lp := loss(false)
				v.Value.Data[j] = old - float32(eps)
				lm := loss(false)
				v.Value.Data[j] = old
				num, got := (lp-lm)/(2*eps), float64(v.Grad.Data[j])
				if math.Abs(num-got) > 1e-3+3e-2*math.Abs(num) {
					t.Errorf("%s %s[%d]: analytic %.6g numeric %.6g", sp, what, j, got, num)
				}
			}
		}
		// Directional derivatives along random directions over every w and α
		// at once: single elements flip ReLUs and max-pool winners deep in the
		// net, a spread-out step of norm ε does not.
		vars := append(append([]*autograd.Var{}, n.W.Vars...), n.Alphas()...)
		checkDirectional(t, sp, vars, loss)
		check("alpha_normal", n.AlphaNormal, 1e-3)
		check("alpha_reduce", n.AlphaReduce, 1e-3)
	}
}

// checkDirectional compares the gradients already in vars with central
// differences of loss along random unit directions over all of vars at
// once: single elements flip ReLUs and max-pool winners deep in a network,
// a spread-out step of norm 1e-3 does not.
func checkDirectional(t *testing.T, name string, vars []*autograd.Var, loss func(grad bool) float64) {
	t.Helper()
	r := rand.New(rand.NewPCG(9, 9))
	for trial := 0; trial < 4; trial++ {
		dirs := make([][]float32, len(vars))
		var norm, want float64
		for i, v := range vars {
			dirs[i] = make([]float32, v.Value.Len())
			for j := range dirs[i] {
				dirs[i][j] = float32(r.NormFloat64())
				norm += float64(dirs[i][j]) * float64(dirs[i][j])
			}
		}
		norm = math.Sqrt(norm)
		for i, v := range vars {
			for j := range dirs[i] {
				dirs[i][j] /= float32(norm)
				want += float64(dirs[i][j]) * float64(v.Grad.Data[j])
			}
		}
		step := func(eps float64) {
			for i, v := range vars {
				for j := range dirs[i] {
					v.Value.Data[j] += float32(eps) * dirs[i][j]
				}
			}
		}
		const eps = 1e-3
		step(eps)
		lp := loss(false)
		step(-2 * eps)
		lm := loss(false)
		step(eps)
		num := (lp - lm) / (2 * eps)
		if math.Abs(num-want) > 1e-3+2e-2*math.Abs(want) {
			t.Errorf("%s direction %d: analytic %.6g numeric %.6g", name, trial, want, num)
		}
	}
}
