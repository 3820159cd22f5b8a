package search

import (
	"fmt"
	"slices"
)

// EpochEV is one dominant-eigenvalue evaluation: the epoch at whose end the
// Hessian was taken, and its largest eigenvalue λ.
type EpochEV struct {
	Epoch int
	EV    float64
}

// EarlyStop is the DARTS-ES rule of the reference (RD:src/utils.py
// EVLocalAvg plus its early_stop method; docs/method.md, DARTS-ES). After each eigenvalue
// evaluation it appends a local average of λ to a list la and, once far
// enough into the run, stops when
//
//	la[−1] / la[−1−Delta] > Factor,
//
// that is when the smoothed λ grew by more than Factor over Delta·Every
// epochs. With the defaults (window 5, delta 4, factor 1.3, start epoch 10,
// every 2 epochs) la[m] is the mean of λ at epochs 2m−4 … 2m+4 (truncated at
// the start), available at epoch 2m+4; the first check is at epoch 22 and a
// stop decided at epoch e returns stop epoch e−12, the epoch of the earlier
// average, whose genotype (and checkpoint) is the DARTS-ES result.
//
// The parameters are exported fields; NewEarlyStop sets the reference
// defaults. The history is private and checkpointed with State/SetState.
type EarlyStop struct {
	Window     int     // evaluations per local average (reference window, 5)
	Delta      int     // look-back in local averages (delta, 4)
	Factor     float64 // stop threshold on the ratio (factor, 1.3)
	StartEpoch int     // the earlier average's epoch must be ≥ this (es_start_epoch, 10)
	Every      int     // epochs between evaluations (report_freq_hessian, 2)

	hist     []EpochEV // evaluations in epoch order
	finished bool      // the last entry came from Finish
}

// NewEarlyStop returns an EarlyStop with the reference defaults: window 5,
// delta 4, factor 1.3, start epoch 10, an evaluation every 2 epochs.
func NewEarlyStop() *EarlyStop {
	return &EarlyStop{Window: 5, Delta: 4, Factor: 1.3, StartEpoch: 10, Every: 2}
}

// Observe records λ = ev evaluated at the end of epoch (any epoch but the
// last of the run, which goes to Finish) and applies the rule. It returns
// stop = true when la[−1]/la[−1−Delta] > Factor at a check epoch, with
// stopEpoch = epoch − Every·⌊Window/2⌋ − Every·Delta, the epoch of the
// earlier local average; stopEpoch is 0 when stop is false.
//
// Like the reference, every check decides afresh: a caller that keeps
// running after a stop (DARTS-ES simulated with --early_stop 2) sees later
// checks fire or not on their own. Epochs are checks when the current
// average exists (at least ⌈Window/2⌉ evaluations) and its epoch minus
// Every·Delta is ≥ StartEpoch; a check also needs Delta+1 averages, which
// the epoch condition implies when evaluations really are Every epochs
// apart (the reference would index out of range otherwise).
//
// It panics if the parameters are invalid, after Finish, or if epoch is not
// after the previous evaluation's.
func (es *EarlyStop) Observe(epoch int, ev float64) (stop bool, stopEpoch int) {
	es.validate()
	if es.finished {
		panic("search: EarlyStop.Observe after Finish")
	}
	es.push(epoch, ev)
	c, ok := es.check()
	if !ok || !c.Stop {
		return false, 0
	}
	return true, c.StopEpoch
}

// Finish records λ of the last epoch of the run. As in the reference it is
// never a check; it closes the local averages with ⌈Window/2⌉ truncated
// centred means — of the last Window, Window−1, …, Window−⌈Window/2⌉+1
// evaluations — so la ends up with one entry per evaluation (26 for the
// reference's 50 epochs). It panics if called twice or if lastEpoch is not
// after the previous evaluation's.
func (es *EarlyStop) Finish(lastEpoch int, ev float64) {
	es.validate()
	if es.finished {
		panic("search: EarlyStop.Finish called twice")
	}
	es.push(lastEpoch, ev)
	es.finished = true
}

func (es *EarlyStop) push(epoch int, ev float64) {
	if n := len(es.hist); n > 0 && epoch <= es.hist[n-1].Epoch {
		panic(fmt.Sprintf("search: EarlyStop: epoch %d not after the previous evaluation's %d", epoch, es.hist[n-1].Epoch))
	}
	es.hist = append(es.hist, EpochEV{Epoch: epoch, EV: ev})
}

func (es *EarlyStop) validate() {
	if es.Window < 1 || es.Delta < 1 || es.Every < 1 || !(es.Factor > 0) {
		panic(fmt.Sprintf("search: EarlyStop: invalid parameters window %d, delta %d, every %d, factor %v",
			es.Window, es.Delta, es.Every, es.Factor))
	}
}

// ESCheck is the outcome of one application of the DARTS-ES rule.
type ESCheck struct {
	Epoch     int     // epoch of the evaluation that triggered the check
	Current   float64 // la[−1], the local average centred at Epoch − Every·⌊Window/2⌋
	Previous  float64 // la[−1−Delta], centred Every·Delta epochs earlier
	Stop      bool    // Current/Previous > Factor
	StopEpoch int     // epoch of Previous; meaningful when Stop
}

// LastCheck returns the check made by the latest Observe, for logging the
// ratio; ok is false if that evaluation was not a check epoch (or the last
// call was Finish, or nothing was observed).
func (es *EarlyStop) LastCheck() (c ESCheck, ok bool) {
	if es.finished {
		return ESCheck{}, false
	}
	return es.check()
}

// check applies the rule to the history as it stands after a non-final
// evaluation.
func (es *EarlyStop) check() (ESCheck, bool) {
	n := len(es.hist)
	if n < (es.Window+1)/2 { // no local average yet: the reference's la_epoch −1
		return ESCheck{}, false
	}
	epoch := es.hist[n-1].Epoch
	laEpoch := epoch - es.Every*(es.Window/2)
	earlier := laEpoch - es.Every*es.Delta
	if earlier < es.StartEpoch {
		return ESCheck{}, false
	}
	la := es.LocalAverages()
	if len(la) < es.Delta+1 {
		return ESCheck{}, false
	}
	c := ESCheck{Epoch: epoch, Current: la[len(la)-1], Previous: la[len(la)-1-es.Delta]}
	c.Stop = c.Current/c.Previous > es.Factor
	if c.Stop {
		c.StopEpoch = earlier
	}
	return c, true
}

// LocalAverages returns the reference's la list for the history so far
// (a new slice). With k evaluations recorded before the last epoch, entry
// k−⌈Window/2⌉ is appended at the k-th: nothing while k < ⌈Window/2⌉, the mean
// of all k while k < Window, and the mean of the last Window from then on.
// After Finish the ⌈Window/2⌉ end-of-run averages follow. Means are float64
// sums in order divided by the count, as numpy's mean does for so few terms.
func (es *EarlyStop) LocalAverages() []float64 {
	ev := es.EVs()
	w, h := es.Window, (es.Window+1)/2
	n, nonFinal := len(ev), len(ev)
	if es.finished {
		nonFinal--
	}
	var la []float64
	for k := h; k <= nonFinal; k++ {
		la = append(la, mean(ev[max(0, k-w):k]))
	}
	if es.finished && n >= h {
		// The reference asserts n ≥ Window here (it crashes on shorter runs);
		// shorter runs get the means of the last Window−i evaluations that exist.
		for i := range h {
			la = append(la, mean(ev[max(0, n-w+i):n]))
		}
	}
	return la
}

// EVs returns the recorded eigenvalues in order (a new slice).
func (es *EarlyStop) EVs() []float64 {
	ev := make([]float64, len(es.hist))
	for i, h := range es.hist {
		ev[i] = h.EV
	}
	return ev
}

// History returns the recorded evaluations in order (a new slice).
func (es *EarlyStop) History() []EpochEV { return slices.Clone(es.hist) }

// TruncateTo drops the evaluations after epoch, for DARTS-ADA's rollback to
// the stop epoch: the tracker then holds exactly what it held when the
// checkpoint of that epoch was written, and the local averages and later
// checks see only the λ of the run being continued.
//
// This deliberately fixes a reference quirk (docs/decisions.md;
// docs/method.md, DARTS-ADA): there the tracker
// reloaded with the checkpoint is not passed on, so the original one keeps
// the λ of the discarded epochs s+1 … e and later checks mix old and new
// values. A Finish is undone if its evaluation is dropped.
func (es *EarlyStop) TruncateTo(epoch int) {
	i := len(es.hist)
	for i > 0 && es.hist[i-1].Epoch > epoch {
		i--
	}
	if i < len(es.hist) {
		es.hist = es.hist[:i:i] // cap i: later appends never write into a shared array
		es.finished = false
	}
}

// EarlyStopState is the checkpointable state of an EarlyStop: parameters and
// history. It is plain data for encoding/json or encoding/gob (JSON
// round-trips float64 exactly).
type EarlyStopState struct {
	Window, Delta int
	Factor        float64
	StartEpoch    int
	Every         int
	History       []EpochEV
	Finished      bool
}

// State returns a copy of the tracker's parameters and history.
func (es *EarlyStop) State() EarlyStopState {
	return EarlyStopState{
		Window: es.Window, Delta: es.Delta, Factor: es.Factor, StartEpoch: es.StartEpoch, Every: es.Every,
		History: slices.Clone(es.hist), Finished: es.finished,
	}
}

// SetState replaces parameters and history with a copy of st. It panics if
// the history's epochs are not strictly increasing, or st is Finished with
// an empty history.
func (es *EarlyStop) SetState(st EarlyStopState) {
	for i := 1; i < len(st.History); i++ {
		if st.History[i].Epoch <= st.History[i-1].Epoch {
			panic(fmt.Sprintf("search: EarlyStop.SetState: epoch %d after %d", st.History[i].Epoch, st.History[i-1].Epoch))
		}
	}
	if st.Finished && len(st.History) == 0 {
		panic("search: EarlyStop.SetState: finished with no history")
	}
	es.Window, es.Delta, es.Factor, es.StartEpoch, es.Every = st.Window, st.Delta, st.Factor, st.StartEpoch, st.Every
	es.hist = slices.Clone(st.History)
	es.finished = st.Finished
}

// StopEpoch replays a recorded eigenvalue series through the online rule:
// the entry at lastEpoch (the run's final epoch) goes to Finish, every other
// one to Observe. It returns the epoch at which the first stop was decided
// and its stop epoch; ok is false if the rule never fires. cfg supplies the
// parameters (nil means NewEarlyStop's defaults); its history is neither
// used nor changed.
func StopEpoch(evs []EpochEV, lastEpoch int, cfg *EarlyStop) (decidedAt, stopEpoch int, ok bool) {
	es := NewEarlyStop()
	if cfg != nil {
		es = &EarlyStop{Window: cfg.Window, Delta: cfg.Delta, Factor: cfg.Factor, StartEpoch: cfg.StartEpoch, Every: cfg.Every}
	}
	for _, e := range evs {
		if e.Epoch == lastEpoch {
			es.Finish(e.Epoch, e.EV)
			continue
		}
		if stop, s := es.Observe(e.Epoch, e.EV); stop {
			return e.Epoch, s, true
		}
	}
	return 0, 0, false
}

// CentredAverages returns, for each evaluation m, the mean of evs[m−⌊w/2⌋ …
// m+⌊w/2⌋] truncated at both ends: for w = 5 this is get_moving_average_5 of
// RD:plots/increasing_eigens.py, and for odd w and a finished run it equals
// EarlyStop's LocalAverages. It panics if w < 1.
func CentredAverages(evs []float64, w int) []float64 {
	if w < 1 {
		panic("search: CentredAverages: window < 1")
	}
	hw := w / 2
	ma := make([]float64, len(evs))
	for m := range evs {
		ma[m] = mean(evs[max(0, m-hw):min(len(evs), m+hw+1)])
	}
	return ma
}

// OfflineStopEpoch is the rule of RD:plots/increasing_eigens.py
// (stop_criteria), used for the paper's figures: with ma the centred
// averages of a whole run's λ (one per evaluation, Every epochs apart),
// return Every·i for the first i ≥ StartEpoch/Every with
// ma[i+Delta]/ma[i] > Factor. Unlike the online rule it also looks at the
// end-of-run averages (i up to len−1−Delta), so it can stop where the
// online rule never fires. ok is false when it never fires (the script then
// reports the last epoch, 49). cfg as for StopEpoch.
func OfflineStopEpoch(evs []float64, cfg *EarlyStop) (stopEpoch int, ok bool) {
	if cfg == nil {
		cfg = NewEarlyStop()
	}
	cfg.validate()
	ma := CentredAverages(evs, cfg.Window)
	for i := max(0, cfg.StartEpoch/cfg.Every); i+cfg.Delta < len(ma); i++ {
		if ma[i+cfg.Delta]/ma[i] > cfg.Factor {
			return cfg.Every * i, true
		}
	}
	return 0, false
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
