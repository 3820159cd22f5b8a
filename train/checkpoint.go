package train

import (
	"fmt"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/optim"
)

// State is everything a run needs to continue exactly where it stopped:
// weights, batch-norm statistics, the optimiser, the position in the data
// (epoch and step: every batch and drop-path mask is a function of them),
// the partial epoch's running sums and the metrics so far.
type State struct {
	Version int
	Pos     runfolder.Position
	Net     nn.Snapshot
	SGD     optim.SGDState
	History []Metrics
}

// stateVersion changes when State's layout does: an older checkpoint is
// refused by name instead of being misread.
const stateVersion = 2

// capture copies the run's state.
func (r *Runner) capture() State {
	return State{Version: stateVersion, Pos: r.state.Pos, History: r.state.History, Net: r.net.W.Snapshot(), SGD: r.sgd.State()}
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
	return r.folder.SaveGob(runfolder.CheckpointFile, r.capture())
}

// LoadState reads a checkpoint.
func LoadState(path string) (State, error) {
	var s State
	if err := runfolder.LoadGob(path, "training", &s); err != nil {
		return s, err
	}
	if s.Version != stateVersion {
		return s, fmt.Errorf("checkpoint %s was written by another version of rdarts (format %d, this one reads %d)", path, s.Version, stateVersion)
	}
	return s, nil
}
