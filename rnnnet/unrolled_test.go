package rnnnet

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels/fast"
)

// TestUnrolledGradient checks the second-order α gradient against central
// differences of F(α) = L_val(w − η·∇_w L_train(w, α), α) on a model
// without dropout (so every pass is deterministic), clipping out of reach
// and no weight decay, with the finite-difference term taken around w
// (HVPAtW); the reference's choice, around w', is not the derivative of
// anything and here differs from it by up to an order of magnitude.
func TestUnrolledGradient(t *testing.T) {
	c := tinyCorpus(t)
	cfg := SearchConfig(c.Vocab.Len())
	cfg.Hidden = 6
	cfg.DropOut, cfg.DropX, cfg.DropH, cfg.DropI = 0, 0, 0, 0
	m, err := New(cfg, nil, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range m.Weights() {
		for j := range w.Value.Data {
			w.Value.Data[j] *= 20
		}
	}
	// ReLU's weight ≈ 0: its kinks would make ∇_w L_train, and so F,
	// jump within the difference step.
	for j := range m.Alpha.Value.Data {
		m.Alpha.Value.Data[j] = float32(j%5) * 0.4
		if j%5 == 2 {
			m.Alpha.Value.Data[j] = -30
		}
	}
	const eta = 0.05
	s, err := NewSearch(m, c, SearchSettings{Batch: 4, BPTT: 5, Clip: 1e9, WD: 1e-30, Order: 2, HVPAtW: true}, fast.Backend{}, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	x, y, n := s.train.Window(0, 5)
	vx, vy, vn := s.search.Window(0, 5)
	if _, err := s.unrolledAlphaGrad(x, y, n, vx, vy, vn, eta); err != nil {
		t.Fatal(err)
	}
	got := append([]float32(nil), m.Alpha.Grad.Data...)
	none := &Masks{}
	f := func() float64 {
		ws := m.Weights()
		saved := make([][]float32, len(ws))
		tp := autograd.NewTape(fast.Backend{})
		m.Alpha.SetRequires(false)
		for i, w := range ws {
			saved[i] = append([]float32(nil), w.Value.Data...)
			w.SetRequires(true)
			w.ZeroGrad()
		}
		tp.Backward(m.Forward(tp, x, y, n, nil, none).Loss)
		for _, w := range ws {
			for j, g := range w.Grad.Data {
				w.Value.Data[j] -= eta * g
			}
		}
		tp.Reset()
		tp.NoGrad = true
		l := float64(m.Forward(tp, vx, vy, vn, nil, none).Loss.Value.Data[0])
		for i, w := range ws {
			copy(w.Value.Data, saved[i])
		}
		return l
	}
	const h = 1e-2
	for _, j := range []int{0, 1, 3, 4, 6, 9, 50, 101, 179} {
		old := m.Alpha.Value.Data[j]
		m.Alpha.Value.Data[j] = old + h
		lp := f()
		m.Alpha.Value.Data[j] = old - h
		lm := f()
		m.Alpha.Value.Data[j] = old
		num := (lp - lm) / (2 * h)
		if math.Abs(float64(got[j])-num) > 3e-3+5e-2*math.Abs(num) {
			t.Errorf("α element %d: unrolled gradient %.5f, finite difference %.5f", j, got[j], num)
		}
	}
}

// TestSearchSecondOrder runs the second-order search end to end.
func TestSearchSecondOrder(t *testing.T) {
	c := tinyCorpus(t)
	_, stats := runSearchOrder(t, c, 3, 2)
	first, last := stats[0], stats[len(stats)-1]
	t.Logf("first %+v, last %+v", first, last)
	if !(last.TrainLoss < first.TrainLoss-0.5 && last.ValidLoss < first.ValidLoss-0.5) {
		t.Errorf("losses did not fall: first %+v, last %+v", first, last)
	}
}
