package train

import (
	"fmt"
	"path/filepath"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/optim"
)

// State is everything a run needs to continue exactly where it stopped:
// weights, batch-norm statistics, the optimiser, the position in the data
// (epoch and step: every batch and drop-path mask is a function of them),
// the partial epoch's running sums and the metrics so far.
type State struct {
	Epoch, Step int // next step to run
	Net         nn.Snapshot
	SGD         optim.SGDState
	Sums        runfolder.Sums
	History     []Metrics
	// Done is set once the last epoch has finished.
	Done bool
}

// capture copies the run's state.
func (r *Runner) capture() State {
	return State{Epoch: r.state.Epoch, Step: r.state.Step, Sums: r.state.Sums, History: r.state.History, Done: r.state.Done,
		Net: r.net.W.Snapshot(), SGD: r.sgd.State()}
}

// restore loads a State's network and optimiser parts, checking that it
// belongs to a network of the same shape.
func (r *Runner) restore(s State) error {
	if b := s.SGD.Buffers; b != nil && len(b) != len(r.net.W.Vars) {
		return fmt.Errorf("checkpoint holds %d momentum buffers for %d weight tensors", len(b), len(r.net.W.Vars))
	}
	if err := r.net.W.Restore(s.Net); err != nil {
		return err
	}
	r.sgd.SetState(s.SGD)
	return nil
}

// checkpoint saves the current state atomically.
func (r *Runner) checkpoint() error {
	return SaveState(filepath.Join(r.Dir, stateFile), r.capture())
}

// SaveState writes a checkpoint atomically.
func SaveState(path string, s State) error { return runfolder.SaveGob(path, s) }

// LoadState reads a checkpoint.
func LoadState(path string) (State, error) {
	var s State
	err := runfolder.LoadGob(path, "training", &s)
	return s, err
}
