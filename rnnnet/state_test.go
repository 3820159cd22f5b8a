package rnnnet

import (
	"bytes"
	"encoding/gob"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/fast"
)

// TestResume: a search stopped after an epoch, its state gob-encoded and
// restored into a search built from another seed, ends bit-identical to
// one that ran through.
func TestResume(t *testing.T) {
	c := tinyCorpus(t)
	whole, stats := runSearch(t, c, 3)

	half, _ := runSearch(t, c, 1)
	st, err := half.State()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(st); err != nil {
		t.Fatal(err)
	}
	var back SearchState
	if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
		t.Fatal(err)
	}
	src := rand.NewPCG(100, 100)
	m, err := New(half.Model.Cfg, nil, rand.New(src))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSearch(m, c, half.Settings, fast.Backend{}, src)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(back); err != nil {
		t.Fatal(err)
	}
	var got []EpochStats
	for s.Epochs() < 3 {
		e, err := s.Epoch()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if !slices.Equal(got, stats[1:]) {
		t.Errorf("resumed epochs %v, want %v", got, stats[1:])
	}
	if !slices.Equal(s.Model.Alpha.Value.Data, whole.Model.Alpha.Value.Data) || !slices.Equal(s.Model.Embed.Value.Data, whole.Model.Embed.Value.Data) {
		t.Error("resumed search ends with other α or weights")
	}
	// Stopped in the middle of an epoch: the same.
	mid, _ := runSearch(t, c, 1)
	mid.BeginEpoch()
	for k := 0; k < 7; k++ {
		if _, err := mid.Step(); err != nil {
			t.Fatal(err)
		}
	}
	st, err = mid.State()
	if err != nil {
		t.Fatal(err)
	}
	s3, err := NewSearch(m, c, half.Settings, fast.Backend{}, src) // m: any model of the size
	if err != nil {
		t.Fatal(err)
	}
	if err := s3.Restore(st); err != nil {
		t.Fatal(err)
	}
	for s3.plan.Next < len(s3.plan.Offsets) {
		if _, err := s3.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if e := s3.EndEpoch(); e != stats[1] {
		t.Errorf("epoch resumed mid-way: %+v, want %+v", e, stats[1])
	}
	// A state of another size is refused.
	bad := back
	bad.Alpha = bad.Alpha[1:]
	if err := s.Restore(bad); err == nil {
		t.Error("a state of the wrong size was accepted")
	}
}
