package search

import (
	"fmt"

	"github.com/rdarts/rdarts/internal/atomicfile"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/optim"
)

// State is everything a run needs to continue exactly where it stopped:
// weights, α, both optimisers, batch-norm statistics, the position in the
// data (epoch and step: every batch is a function of them), the partial
// epoch's running sums, the metrics so far and the methods' state.
type State struct {
	Epoch, Step int // next step to run
	Net         nn.Snapshot
	Alpha       [][]float32
	SGD         optim.SGDState
	Adam        optim.AdamState
	Sums        runfolder.Sums
	History     []Metrics
	ES          EarlyStopState
	ADA         Adaptive
	// Done is set once the run has finished (normally or by DARTS-ES).
	Done bool
	// Result, when set, is the run's answer where it is not an epoch's
	// record (RS-ws' selected architecture).
	Result *Metrics
}

// capture copies the searcher's state into a State.
func (b *Bilevel) capture() State {
	s := State{Net: b.Net.W.Snapshot(), SGD: b.SGD.State(), Adam: b.Adam.State()}
	for _, a := range b.Net.Alphas() {
		s.Alpha = append(s.Alpha, append([]float32(nil), a.Value.Data...))
	}
	return s
}

// restore loads a State's network and optimiser parts, checking that it
// belongs to a network of the same shape.
func (b *Bilevel) restore(s State) error {
	alphas := b.Net.Alphas()
	if len(s.Alpha) != len(alphas) {
		return fmt.Errorf("checkpoint holds %d α tensors, the network %d: was it made with another space?", len(s.Alpha), len(alphas))
	}
	for i, a := range alphas {
		if len(s.Alpha[i]) != a.Value.Len() {
			return fmt.Errorf("checkpoint α %d has %d values, the network %d", i, len(s.Alpha[i]), a.Value.Len())
		}
	}
	if err := b.Net.W.Restore(s.Net); err != nil {
		return err
	}
	for i, a := range alphas {
		copy(a.Value.Data, s.Alpha[i])
	}
	b.SGD.SetState(s.SGD)
	b.Adam.SetState(s.Adam)
	return nil
}

// WriteAtomic writes a file atomically (see internal/atomicfile).
func WriteAtomic(path string, data []byte) error { return atomicfile.Write(path, data) }

// SaveState writes a checkpoint atomically.
func SaveState(path string, s State) error { return runfolder.SaveGob(path, s) }

// LoadState reads a checkpoint.
func LoadState(path string) (State, error) {
	var s State
	err := runfolder.LoadGob(path, "search", &s)
	return s, err
}
