package rnnnet

import (
	"fmt"
	"slices"

	"github.com/rdarts/rdarts/optim"
)

// TrainerState is everything a retraining carries from one step to the
// next: restored into a trainer built with the same model configuration,
// corpus and settings, the following steps and epochs are bit-identical
// to those of the trainer it was taken from. It encodes with encoding/gob.
type TrainerState struct {
	Epoch               int // epochs completed (after a rollback: the restored one)
	ConsecutiveRollback int
	History             []float64 // validation losses of the SGD epochs
	Plan                TrainPlan // the epoch in progress (empty between epochs)
	Hidden              []float32 // hidden state carried between windows (nil: zeros)
	Weights             [][]float32
	SGD                 optim.SGDState
	ASGD                *optim.ASGDState // nil before the switch
	Best                *BestState       // nil before the first epoch
	RNG                 []byte           // the PCG generator, MarshalBinary
}

// BestState is the best weights so far and what a rollback restores with
// them.
type BestState struct {
	Weights [][]float32
	SGD     optim.SGDState
	ASGD    *optim.ASGDState
	Epoch   int
	Loss    float64
}

// State returns a deep copy of the trainer's state, between steps or epochs.
func (t *Trainer) State() (TrainerState, error) {
	rng, err := t.src.MarshalBinary()
	if err != nil {
		return TrainerState{}, fmt.Errorf("rnnnet: %w", err)
	}
	p := t.plan
	p.Offsets, p.Lengths = slices.Clone(p.Offsets), slices.Clone(p.Lengths)
	st := TrainerState{Epoch: t.epoch, ConsecutiveRollback: t.consecutiveRollback, History: slices.Clone(t.history),
		Plan: p, Hidden: slices.Clone(t.hidden), Weights: clone2(weightValues(t.Model)), SGD: t.sgd.State(), RNG: rng}
	if t.asgd != nil {
		a := t.asgd.State()
		st.ASGD = &a
	}
	if b := t.best; b != nil {
		st.Best = &BestState{Weights: clone2(b.weights), SGD: b.sgd, ASGD: b.asgd, Epoch: b.epoch, Loss: b.loss}
	}
	return st, nil
}

// Restore replaces the trainer's state with a copy of st. It fails,
// changing nothing, if st does not fit the model, corpus or settings.
func (t *Trainer) Restore(st TrainerState) error {
	if err := t.fits(st); err != nil {
		return err
	}
	if err := t.src.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("rnnnet: saved random state: %w", err)
	}
	for i, w := range t.Model.Weights() {
		copy(w.Value.Data, st.Weights[i])
	}
	t.epoch, t.consecutiveRollback, t.history = st.Epoch, st.ConsecutiveRollback, slices.Clone(st.History)
	t.plan = st.Plan
	t.plan.Offsets, t.plan.Lengths = slices.Clone(st.Plan.Offsets), slices.Clone(st.Plan.Lengths)
	t.hidden = slices.Clone(st.Hidden)
	t.sgd.SetState(st.SGD)
	t.asgd = nil
	if st.ASGD != nil {
		t.asgd = &optim.ASGD{}
		t.asgd.SetState(*st.ASGD)
	}
	t.best = nil
	if b := st.Best; b != nil {
		t.best = &snapshot{weights: clone2(b.Weights), sgd: b.SGD, asgd: b.ASGD, epoch: b.Epoch, loss: b.Loss}
	}
	return nil
}

// fits checks the sizes Restore relies on (SetState would panic on some).
func (t *Trainer) fits(st TrainerState) error {
	ws := t.Model.Weights()
	sized := func(vals [][]float32) bool {
		if len(vals) != len(ws) {
			return false
		}
		for i, v := range vals {
			if len(v) != ws[i].Value.Len() {
				return false
			}
		}
		return true
	}
	optimFits := func(sgd optim.SGDState, asgd *optim.ASGDState) bool {
		for _, b := range sgd.Buffers {
			if b != nil && !sized(sgd.Buffers) {
				return false
			}
		}
		return asgd == nil || asgd.Avg == nil || sized(asgd.Avg)
	}
	if !sized(st.Weights) || !optimFits(st.SGD, st.ASGD) || st.Epoch < 0 {
		return fmt.Errorf("rnnnet: the saved retraining state does not fit this model")
	}
	if b := st.Best; b != nil && (!sized(b.Weights) || !optimFits(b.SGD, b.ASGD)) {
		return fmt.Errorf("rnnnet: the saved best weights do not fit this model")
	}
	p := st.Plan
	if len(p.Offsets) != len(p.Lengths) || p.Next < 0 || p.Next > len(p.Offsets) ||
		(st.Hidden != nil && len(st.Hidden) != t.Settings.Batch*t.Model.Cfg.Hidden) {
		return fmt.Errorf("rnnnet: the saved epoch position does not fit this retraining")
	}
	for j, o := range p.Offsets {
		if o < 0 || o >= t.train.Steps-1 || p.Lengths[j] < 1 {
			return fmt.Errorf("rnnnet: the saved epoch position does not fit this corpus")
		}
	}
	return nil
}

func weightValues(m *Model) [][]float32 {
	ws := m.Weights()
	vals := make([][]float32, len(ws))
	for i, w := range ws {
		vals[i] = w.Value.Data
	}
	return vals
}

func clone2(vals [][]float32) [][]float32 {
	out := make([][]float32, len(vals))
	for i, v := range vals {
		out[i] = slices.Clone(v)
	}
	return out
}
