package optim

import "testing"

func TestASGD(t *testing.T) {
	// lr 0.5 (0.25 from step 3 on, which takes effect at step 4), weight
	// decay 0.1, one element p = 1 with gradients 1, 2, −1, 0.5:
	//   1: g = 1.1,  p = 1 − 0.55 = 0.45;          avg = 0.45
	//   2: g = 2.045, p = 0.45 − 1.0225 = −0.5725; avg = −0.5725
	//   3: g = −1.05725, p = −0.5725 + 0.528625 = −0.043875; avg = −0.5725 + (−0.043875+0.5725)/2 = −0.3081875
	//   4: (η = 0.25) g = 0.4956125, p = −0.043875 − 0.123903125 = −0.167778125;
	//      avg = −0.3081875 + (−0.167778125 + 0.3081875)/3 = −0.26138354…
	a := &ASGD{LR: 0.5, WeightDecay: 0.1}
	p := Param{Value: []float32{1}, Grad: make([]float32, 1)}
	grads := []float32{1, 2, -1, 0.5}
	wantP := []float64{0.45, -0.5725, -0.043875, -0.167778125}
	wantAvg := []float64{0.45, -0.5725, -0.3081875, -0.261384375}
	for k, g := range grads {
		if k == 2 {
			a.LR = 0.25
		}
		p.Grad[0] = g
		a.Step([]Param{p})
		near(t, "p", p.Value[0], wantP[k], 1e-6)
		near(t, "avg", a.Average(0)[0], wantAvg[k], 1e-6)
	}
	st := a.State()
	b := &ASGD{}
	b.SetState(st)
	p.Grad[0] = 1
	q := Param{Value: []float32{p.Value[0]}, Grad: []float32{1}}
	a.Step([]Param{p})
	b.Step([]Param{q})
	if p.Value[0] != q.Value[0] || a.Average(0)[0] != b.Average(0)[0] {
		t.Error("a restored ASGD steps differently")
	}
}
