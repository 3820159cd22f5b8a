package rnnnet

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/space"
)

// A trainer restored from a state taken mid-epoch continues bit-identically,
// through the switch to ASGD.
func TestTrainerStateResume(t *testing.T) {
	c := tinyCorpus(t)
	build := func() *Trainer {
		src := rand.NewPCG(5, 5)
		cfg := EvalConfig(c.Vocab.Len())
		cfg.Hidden = 8
		g := space.RNNDARTSV1
		m, err := New(cfg, &g, rand.New(src))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewTrainer(m, c, TrainSettings{Batch: 8, EvalBatch: 4, BPTT: 6, NonMono: 1}, fast.Backend{}, src)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	a := build()
	var want []TrainEpoch
	for range 6 {
		e, err := a.Epoch()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	b := build()
	for range 3 {
		if _, err := b.Epoch(); err != nil {
			t.Fatal(err)
		}
	}
	n := b.BeginEpoch()
	for range n / 2 {
		if _, _, err := b.Step(); err != nil {
			t.Fatal(err)
		}
	}
	st, err := b.State()
	if err != nil {
		t.Fatal(err)
	}
	r := build()
	if err := r.Restore(st); err != nil {
		t.Fatal(err)
	}
	for m, next := r.Steps(); next < m; next++ {
		if _, _, err := r.Step(); err != nil {
			t.Fatal(err)
		}
	}
	got := []TrainEpoch{r.EndEpoch()}
	for range 2 {
		e, err := r.Epoch()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if !slices.Equal(got, want[3:]) {
		t.Errorf("resumed epochs %+v, want %+v", got, want[3:])
	}
	if !want[5].Averaged {
		t.Errorf("no switch to ASGD in 6 epochs (the test wants ASGD state in the checkpoint): %+v", want)
	}
	// A state of another size is refused.
	st.Weights = st.Weights[1:]
	if err := r.Restore(st); err == nil {
		t.Error("a state with a weight missing was accepted")
	}
}
