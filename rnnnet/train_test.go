package rnnnet

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/space"
)

func TestShouldSwitch(t *testing.T) {
	h := []float64{5, 4, 3, 3.5, 3.2}
	for _, c := range []struct {
		hist    []float64
		loss    float64
		nonmono int
		want    bool
	}{
		{h, 3.1, 2, true},    // best before the last 2 is 3: 3.1 is worse
		{h, 2.9, 2, false},   // better than 3
		{h, 4.5, 4, false},   // best of h[:1] is 5
		{h, 9, 5, false},     // not more than 5 epochs yet
		{h[:3], 9, 3, false}, // exactly 3: not more
	} {
		if got := shouldSwitch(c.hist, c.loss, c.nonmono); got != c.want {
			t.Errorf("shouldSwitch(%v, %v, %d) = %v", c.hist, c.loss, c.nonmono, got)
		}
	}
}

func TestRetrain(t *testing.T) {
	c := tinyCorpus(t)
	src := rand.NewPCG(3, 3)
	cfg := EvalConfig(c.Vocab.Len())
	cfg.Hidden = 16
	cfg.DropOut, cfg.DropX, cfg.DropH, cfg.DropI = 0.1, 0.1, 0.1, 0.1
	g := space.RNNDARTSV2
	m, err := New(cfg, &g, rand.New(src))
	if err != nil {
		t.Fatal(err)
	}
	// NonMono 1 so that the switch to ASGD comes within a few epochs.
	tr, err := NewTrainer(m, c, TrainSettings{Batch: 8, EvalBatch: 4, TestBatch: 1, BPTT: 6, NonMono: 1}, fast.Backend{}, src)
	if err != nil {
		t.Fatal(err)
	}
	var eps []TrainEpoch
	switched := false
	for len(eps) < 8 {
		e, err := tr.Epoch()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", e)
		eps = append(eps, e)
		switched = switched || e.Switched
		if switched && !e.Switched && !e.Averaged {
			t.Errorf("epoch %d after the switch ran SGD", e.Epoch)
		}
	}
	best, _ := tr.Best()
	if !(best < eps[0].ValidLoss-0.5) {
		t.Errorf("best validation loss %v, first %v", best, eps[0].ValidLoss)
	}
	valid, test, err := tr.Final()
	if err != nil || valid != best || !(test < math.Log(float64(c.Vocab.Len()))-0.5) {
		t.Errorf("final: valid %v (best %v), test %v, %v", valid, best, test, err)
	}
	// A NaN weight makes the next epoch roll back to the best weights.
	m.W0.Value.Data[0] = float32(math.NaN())
	e, err := tr.Epoch()
	if err != nil || !e.RolledBack {
		t.Fatalf("NaN weight: %+v, %v", e, err)
	}
	if math.IsNaN(float64(m.W0.Value.Data[0])) {
		t.Error("the rollback left the NaN weight")
	}
	if _, err := tr.Epoch(); err != nil {
		t.Error(err)
	}
	// The one-shot model is refused.
	os, _ := New(SearchConfig(c.Vocab.Len()), nil, rand.New(src))
	if _, err := NewTrainer(os, c, TrainSettings{}, fast.Backend{}, src); err == nil {
		t.Error("a one-shot model was accepted for retraining")
	}
}

func TestTooShort(t *testing.T) {
	c := tinyCorpus(t)
	c.Train = c.Train[:20]
	src := rand.NewPCG(1, 1)
	m, _ := New(SearchConfig(c.Vocab.Len()), nil, rand.New(src))
	if _, err := NewSearch(m, c, SearchSettings{Batch: 8}, fast.Backend{}, src); err == nil || !strings.Contains(err.Error(), "at least 3") {
		t.Errorf("search on 20 tokens: %v", err)
	}
	g := space.RNNDARTSV1
	d, _ := New(EvalConfig(c.Vocab.Len()), &g, rand.New(src))
	if _, err := NewTrainer(d, c, TrainSettings{Batch: 8}, fast.Backend{}, src); err == nil || !strings.Contains(err.Error(), "at least 3") {
		t.Errorf("retraining on 20 tokens: %v", err)
	}
}
