package rnnnet

import (
	"fmt"
	"slices"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/optim"
)

// SearchState is everything a search carries from one step to the next:
// restored into a search built with the same model configuration, corpus
// and settings, the following steps and epochs are bit-identical to those
// of the search it was taken from. It encodes with encoding/gob or JSON.
type SearchState struct {
	Epoch       int       // epochs completed
	Plan        EpochPlan // the epoch in progress (empty between epochs)
	Hidden      []float32 // hidden states carried between windows (nil: zeros)
	HiddenValid []float32
	Weights     [][]float32 // Model.Weights() values, in order
	Alpha       []float32
	BNMean      []float32
	BNVar       []float32
	SGD         optim.SGDState
	Adam        optim.AdamState
	RNG         []byte // the PCG generator, MarshalBinary
}

// Epochs is the number of epochs completed.
func (s *Search) Epochs() int { return s.epoch }

// State returns a deep copy of the search's state, between steps or epochs.
func (s *Search) State() (SearchState, error) {
	m := s.Model
	rng, err := s.src.MarshalBinary()
	if err != nil {
		return SearchState{}, fmt.Errorf("rnnnet: %w", err)
	}
	st := SearchState{
		Epoch: s.epoch, Alpha: slices.Clone(m.Alpha.Value.Data),
		BNMean: slices.Clone(m.BN.Mean), BNVar: slices.Clone(m.BN.Var),
		SGD: s.sgd.State(), Adam: s.adam.State(), RNG: rng,
		Plan: EpochPlan{Offsets: slices.Clone(s.plan.Offsets), Lengths: slices.Clone(s.plan.Lengths), Next: s.plan.Next,
			TrainSum: s.plan.TrainSum, ValidSum: s.plan.ValidSum, TrainTok: s.plan.TrainTok, ValidTok: s.plan.ValidTok},
		Hidden: slices.Clone(s.hidden), HiddenValid: slices.Clone(s.hiddenValid),
	}
	for _, w := range m.Weights() {
		st.Weights = append(st.Weights, slices.Clone(w.Value.Data))
	}
	return st, nil
}

// Restore replaces the search's state with a copy of st. It fails, changing
// nothing, if st does not fit the model (a checkpoint of another size).
func (s *Search) Restore(st SearchState) error {
	m := s.Model
	ws := m.Weights()
	if len(st.Weights) != len(ws) || len(st.Alpha) != m.Alpha.Value.Len() || len(st.BNMean) != len(m.BN.Mean) || len(st.BNVar) != len(m.BN.Var) || st.Epoch < 0 {
		return fmt.Errorf("rnnnet: the saved search state does not fit this model")
	}
	for i, w := range ws {
		if len(st.Weights[i]) != w.Value.Len() {
			return fmt.Errorf("rnnnet: saved weight %d has %d values, the model %d", i, len(st.Weights[i]), w.Value.Len())
		}
	}
	if err := checkOptim(st, ws); err != nil {
		return err
	}
	bd := s.Settings.Batch * m.Cfg.Hidden
	p := st.Plan
	if len(p.Offsets) != len(p.Lengths) || p.Next < 0 || p.Next > len(p.Offsets) ||
		(st.Hidden != nil && len(st.Hidden) != bd) || (st.HiddenValid != nil && len(st.HiddenValid) != bd) {
		return fmt.Errorf("rnnnet: the saved epoch position does not fit this search")
	}
	for j, o := range p.Offsets {
		if o < 0 || o >= s.train.Steps-1 || p.Lengths[j] < 1 {
			return fmt.Errorf("rnnnet: the saved epoch position does not fit this corpus")
		}
	}
	if err := s.src.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("rnnnet: saved random state: %w", err)
	}
	for i, w := range ws {
		copy(w.Value.Data, st.Weights[i])
	}
	copy(m.Alpha.Value.Data, st.Alpha)
	copy(m.BN.Mean, st.BNMean)
	copy(m.BN.Var, st.BNVar)
	s.sgd.SetState(st.SGD)
	s.adam.SetState(st.Adam)
	s.epoch = st.Epoch
	s.plan = EpochPlan{Offsets: slices.Clone(p.Offsets), Lengths: slices.Clone(p.Lengths), Next: p.Next,
		TrainSum: p.TrainSum, ValidSum: p.ValidSum, TrainTok: p.TrainTok, ValidTok: p.ValidTok}
	s.hidden, s.hiddenValid = slices.Clone(st.Hidden), slices.Clone(st.HiddenValid)
	return nil
}

// checkOptim checks the optimiser states' sizes, which SetState would
// otherwise panic on.
func checkOptim(st SearchState, ws []*autograd.Var) error {
	for i, b := range st.SGD.Buffers {
		if b != nil && (len(st.SGD.Buffers) != len(ws) || len(b) != ws[i].Value.Len()) {
			return fmt.Errorf("rnnnet: saved SGD state does not fit the model")
		}
	}
	a := st.Adam
	if a.Step < 0 || len(a.M) != len(a.V) || (a.Step == 0) != (a.M == nil) {
		return fmt.Errorf("rnnnet: saved Adam state is malformed")
	}
	for i := range a.M {
		if len(a.M) != 1 || len(a.M[i]) != len(st.Alpha) || len(a.V[i]) != len(st.Alpha) {
			return fmt.Errorf("rnnnet: saved Adam state does not fit α")
		}
	}
	return nil
}
