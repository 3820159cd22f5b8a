package optim

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"math"
	"testing"
)

// near fails the test unless got is within tol of the hand-computed want.
// The tolerances are a few float32 ulps: the hand values are exact decimal
// arithmetic, the optimisers round every operation to float32.
func near(t *testing.T, name string, got float32, want, tol float64) {
	t.Helper()
	if d := math.Abs(float64(got) - want); !(d <= tol) {
		t.Errorf("%s = %.9g, want %.9g (|diff| %.3g > %.3g)", name, got, want, d, tol)
	}
}

func TestSGDMomentumWeightDecay(t *testing.T) {
	// lr 0.1, momentum 0.9, weight decay 0.01; two params, three steps.
	//
	// element p=1, grads 0.5, 0.5, -1:
	//   1: d = 0.5+0.01·1 = 0.51;           buf = 0.51;                        p = 1−0.051 = 0.949
	//   2: d = 0.5+0.01·0.949 = 0.50949;    buf = 0.9·0.51+0.50949 = 0.96849;  p = 0.949−0.096849 = 0.852151
	//   3: d = −1+0.00852151 = −0.99147849; buf = 0.871641−0.99147849 = −0.11983749; p = 0.852151+0.011983749 = 0.864134749
	// element p=−2, grads 0.25, −0.5, 0:
	//   1: d = 0.25−0.02 = 0.23;            buf = 0.23;                        p = −2−0.023 = −2.023
	//   2: d = −0.5−0.02023 = −0.52023;     buf = 0.207−0.52023 = −0.31323;    p = −2.023+0.031323 = −1.991677
	//   3: d = −0.01991677;                 buf = −0.281907−0.01991677 = −0.30182377; p = −1.991677+0.030182377 = −1.961494623
	// element p=0.5 (second param), grads 1, 1, 1:
	//   1: d = 1.005;                       buf = 1.005;                       p = 0.5−0.1005 = 0.3995
	//   2: d = 1.003995;                    buf = 0.9045+1.003995 = 1.908495;  p = 0.3995−0.1908495 = 0.2086505
	//   3: d = 1.002086505;                 buf = 1.7176455+1.002086505 = 2.719732005; p = 0.2086505−0.2719732005 = −0.0633227005
	s := &SGD{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01}
	a := Param{Value: []float32{1, -2}, Grad: make([]float32, 2)}
	b := Param{Value: []float32{0.5}, Grad: make([]float32, 1)}
	params := []Param{a, b}
	if s.MomentumBuffer(0) != nil {
		t.Fatal("MomentumBuffer before the first step is not nil")
	}
	grads := [3][3]float32{{0.5, 0.25, 1}, {0.5, -0.5, 1}, {-1, 0, 1}}
	want := [3][3]float64{
		{0.949, -2.023, 0.3995},
		{0.852151, -1.991677, 0.2086505},
		{0.864134749, -1.961494623, -0.0633227005},
	}
	for k := range 3 {
		a.Grad[0], a.Grad[1], b.Grad[0] = grads[k][0], grads[k][1], grads[k][2]
		s.Step(params)
		near(t, "a[0]", a.Value[0], want[k][0], 3e-7)
		near(t, "a[1]", a.Value[1], want[k][1], 5e-7)
		near(t, "b[0]", b.Value[0], want[k][2], 3e-7)
	}
	near(t, "buf a[0]", s.MomentumBuffer(0)[0], -0.11983749, 5e-7)
	near(t, "buf a[1]", s.MomentumBuffer(0)[1], -0.30182377, 5e-7)
	near(t, "buf b[0]", s.MomentumBuffer(1)[0], 2.719732005, 1e-6)
	// Gradients are read, never written.
	if a.Grad[0] != -1 || a.Grad[1] != 0 || b.Grad[0] != 1 {
		t.Errorf("Step modified the gradients: %v %v", a.Grad, b.Grad)
	}
}

func TestSGDNoMomentumWeightDecayChange(t *testing.T) {
	// lr 0.5, no momentum, p = 2, grad 1 both steps; DARTS-ADA changes the decay between steps.
	//   1 (wd 0):   p = 2 − 0.5·1 = 1.5
	//   2 (wd 0.1): d = 1 + 0.1·1.5 = 1.15; p = 1.5 − 0.5·1.15 = 0.925
	s := &SGD{LR: 0.5}
	p := []Param{{Value: []float32{2}, Grad: []float32{1}}}
	s.Step(p)
	near(t, "step 1", p[0].Value[0], 1.5, 0)
	s.WeightDecay = 0.1
	s.Step(p)
	near(t, "step 2", p[0].Value[0], 0.925, 1e-7)
	if s.MomentumBuffer(0) != nil {
		t.Error("momentum 0 created a buffer")
	}
}

func TestAdam(t *testing.T) {
	// lr 0.1, betas (0.5, 0.999), eps 1e-8; weight decay 0 for steps 1–2, 0.1 for step 3.
	//
	// element p=1, grads 0.5, 0.25, 0.25:
	//   1: m = 0.25, v = 0.001·0.25 = 2.5e-4, bc1 = 0.5, bc2 = 0.001
	//      den = sqrt(2.5e-4)/sqrt(0.001)+1e-8 = 0.5+1e-8; p = 1 − 0.1/0.5·0.25/0.50000001 = 0.900000002
	//   2: m = 0.125+0.125 = 0.25, v = 0.999·2.5e-4+0.001·0.0625 = 3.1225e-4, bc1 = 0.75, bc2 = 0.001999
	//      den = sqrt(3.1225e-4/0.001999) = 0.39522539; step = 0.1/0.75·0.25/0.39522539 = 0.08434006; p = 0.81565994
	//   3: g = 0.25+0.1·0.81565994 = 0.33156599, m = 0.125+0.16578300 = 0.29078300,
	//      v = 0.999·3.1225e-4+0.001·0.10993601 = 4.2187376e-4, bc1 = 0.875, bc2 = 0.002997001
	//      den = sqrt(4.2187376e-4/0.002997001) = 0.37518704; step = 0.1/0.875·0.29078300/0.37518704 = 0.08857540
	//      p = 0.81565994−0.08857540 = 0.72708454
	// element p=−2, grads −1, 0.5, 0:
	//   1: m = −0.5, v = 0.001, den = 1+1e-8; p = −2 + 0.2·0.5/1.00000001 = −1.900000001
	//   2: m = −0.25+0.25 = 0 → p unchanged −1.9
	//   3: g = 0+0.1·(−1.9) = −0.19, m = −0.095, v = 0.999·0.001249+0.001·0.0361 = 1.2838510e-3,
	//      den = sqrt(1.2838510e-3/0.002997001) = 0.65450637; step = 0.1/0.875·(−0.095)/0.65450637 = −0.01658829
	//      p = −1.9+0.01658829 = −1.88341171
	a := &Adam{LR: 0.1, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8}
	p := []Param{{Value: []float32{1, -2}, Grad: make([]float32, 2)}}
	grads := [3][2]float32{{0.5, -1}, {0.25, 0.5}, {0.25, 0}}
	want := [3][2]float64{{0.900000002, -1.900000001}, {0.81565994, -1.900000001}, {0.72708454, -1.88341171}}
	for k := range 3 {
		if k == 2 {
			a.WeightDecay = 0.1
		}
		copy(p[0].Grad, grads[k][:])
		a.Step(p)
		near(t, "p[0]", p[0].Value[0], want[k][0], 3e-7)
		near(t, "p[1]", p[0].Value[1], want[k][1], 5e-7)
	}
	if a.Steps() != 3 {
		t.Errorf("Steps = %d, want 3", a.Steps())
	}
	st := a.State()
	near(t, "m[0]", st.M[0][0], 0.29078300, 2e-7)
	near(t, "v[1]", st.V[0][1], 1.2838510e-3, 1e-9)
}

func TestCosine(t *testing.T) {
	// lr(e) = 0.001 + 0.024·(1+cos(π e/50))/2 (docs/method.md, Optimisers and schedule):
	//   e=0:  0.001+0.024 = 0.025
	//   e=1:  cos(π/50) = 0.99802673 → 0.001+0.024·0.99901336 = 0.02497632 (the logged "2.497632e-02")
	//   e=25: cos(π/2) = 0 → 0.001+0.012 = 0.013
	//   e=49: cos(49π/50) = −0.99802673 → 0.001+0.024·0.00098664 = 0.00102368
	//   e=50: cos(π) = −1 → 0.001
	for _, c := range []struct {
		epoch int
		want  float64
	}{{0, 0.025}, {1, 0.02497632}, {25, 0.013}, {49, 0.00102368}, {50, 0.001}} {
		if got := Cosine(c.epoch, 50, 0.025, 0.001); math.Abs(got-c.want) > 5e-9 {
			t.Errorf("Cosine(%d) = %.10g, want %.8g", c.epoch, got, c.want)
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	// Grads [3, 4] and [12]: total = sqrt(9+16+144) = 13.
	mk := func() []Param {
		return []Param{{Value: make([]float32, 2), Grad: []float32{3, 4}}, {Value: make([]float32, 1), Grad: []float32{12}}}
	}

	// maxNorm 20: coef = 20/13.000001 > 1 → unchanged.
	p := mk()
	if got := ClipGradNorm(p, 20); got != 13 {
		t.Errorf("total = %v, want 13", got)
	}
	if p[0].Grad[0] != 3 || p[0].Grad[1] != 4 || p[1].Grad[0] != 12 {
		t.Errorf("grads changed below the limit: %v %v", p[0].Grad, p[1].Grad)
	}

	// maxNorm 5: coef = 5/13.000001 = 0.38461535 → 1.15384605, 1.53846140, 4.61538420;
	// the clipped norm is 13·coef = 4.99999962, and the returned total is still 13.
	p = mk()
	if got := ClipGradNorm(p, 5); got != 13 {
		t.Errorf("total = %v, want 13 (the norm before clipping)", got)
	}
	near(t, "g0", p[0].Grad[0], 1.15384605, 2e-7)
	near(t, "g1", p[0].Grad[1], 1.53846140, 2e-7)
	near(t, "g2", p[1].Grad[0], 4.61538420, 5e-7)
	if n := ClipGradNorm(p, 1e9); math.Abs(n-4.99999962) > 1e-6 {
		t.Errorf("norm after clipping = %.9g, want 4.99999962", n)
	}

	// maxNorm 13 = total: PyTorch's test is coef < 1, and 13/13.000001 = 0.99999992
	// (float32 0.99999994) < 1, so 12 becomes 12·0.99999994 = 11.999999 — scaled, barely.
	p = mk()
	ClipGradNorm(p, 13)
	if !(p[1].Grad[0] < 12) || p[1].Grad[0] < 11.9999 {
		t.Errorf("at total == maxNorm grad = %.9g, want 11.999999 (scaled by 13/13.000001)", p[1].Grad[0])
	}
}

// TestStateRoundTrip checks bit-exact resume: an optimiser restored from a
// JSON or gob checkpoint continues exactly like the one that kept running.
func TestStateRoundTrip(t *testing.T) {
	grad := func(step, i int) float32 { return float32(math.Sin(float64(7*step+3*i+1))) * 0.37 }
	run := func(params []Param, step func([]Param), from, to int) {
		for k := from; k < to; k++ {
			for _, p := range params {
				for i := range p.Grad {
					p.Grad[i] = grad(k, i)
				}
			}
			step(params)
		}
	}
	newParams := func() []Param {
		return []Param{{Value: []float32{0.3, -1.7, 2.2}, Grad: make([]float32, 3)}, {Value: []float32{5}, Grad: make([]float32, 1)}}
	}
	clone := func(ps []Param) []Param {
		out := make([]Param, len(ps))
		for i, p := range ps {
			out[i] = Param{Value: append([]float32(nil), p.Value...), Grad: make([]float32, len(p.Grad))}
		}
		return out
	}
	codecs := map[string]func(in, out any){
		"json": func(in, out any) {
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatal(err)
			}
		},
		"gob": func(in, out any) {
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(in); err != nil {
				t.Fatal(err)
			}
			if err := gob.NewDecoder(&buf).Decode(out); err != nil {
				t.Fatal(err)
			}
		},
	}
	same := func(name string, a, b []Param) {
		for i := range a {
			for j := range a[i].Value {
				if math.Float32bits(a[i].Value[j]) != math.Float32bits(b[i].Value[j]) {
					t.Errorf("%s: param %d[%d] %v != %v after resume", name, i, j, a[i].Value[j], b[i].Value[j])
				}
			}
		}
	}
	for name, codec := range codecs {
		s := &SGD{LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4}
		ps := newParams()
		run(ps, s.Step, 0, 3)
		var st SGDState
		codec(s.State(), &st)
		resumed, rps := &SGD{}, clone(ps)
		resumed.SetState(st)
		run(ps, s.Step, 3, 6)
		run(rps, resumed.Step, 3, 6)
		same(name+" SGD", ps, rps)

		a := &Adam{LR: 3e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-3}
		ps = newParams()
		run(ps, a.Step, 0, 3)
		var ast AdamState
		codec(a.State(), &ast)
		ra, rps := &Adam{}, clone(ps)
		ra.SetState(ast)
		run(ps, a.Step, 3, 6)
		run(rps, ra.Step, 3, 6)
		same(name+" Adam", ps, rps)
		if ra.Steps() != 6 {
			t.Errorf("%s: resumed Adam at step %d, want 6", name, ra.Steps())
		}
	}
}

func TestStepPanicsOnShapeChange(t *testing.T) {
	for name, step := range map[string]func([]Param){
		"SGD":  (&SGD{LR: 0.1, Momentum: 0.9}).Step,
		"Adam": (&Adam{LR: 0.1, Beta1: 0.5, Beta2: 0.999}).Step,
	} {
		step([]Param{{Value: make([]float32, 2), Grad: make([]float32, 2)}})
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic when the parameter size changed", name)
				}
			}()
			step([]Param{{Value: make([]float32, 3), Grad: make([]float32, 3)}})
		}()
	}
}
