package search

import (
	"fmt"
	"slices"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/optim"
)

// stateVersion changes when State's layout does: an older checkpoint is
// refused by name instead of being misread. Version 2 lacks only Lanczos
// and still loads: its next eigenvalue analysis starts from a random
// vector, as a run that has made none.
const stateVersion = 3

// oldestStateVersion is the oldest format LoadState reads.
const oldestStateVersion = 2

// State is everything a run needs to continue exactly where it stopped:
// weights, α, both optimisers, batch-norm statistics, the position in the
// data (epoch and step: every batch is a function of them), the partial
// epoch's running sums, the metrics so far and the methods' state.
type State struct {
	Version int
	Pos     runfolder.Position
	Net     nn.Snapshot
	Alpha   [][]float32
	SGD     optim.SGDState
	Adam    optim.AdamState
	History []Metrics
	ES      EarlyStopState
	ADA     Adaptive
	// Result, when set, is the run's answer where it is not the last
	// epoch's record (the DARTS-ES stop epoch, RS-ws' selection).
	Result *Metrics
	// Lanczos is the eigenvalue analysis' warm start (since version 3).
	Lanczos LanczosState
}

// capture copies the searcher's state into a State.
func (b *Bilevel) capture() State {
	s := State{Version: stateVersion, Net: b.Net.W.Snapshot(), SGD: b.SGD.State(), Adam: b.Adam.State()}
	s.Lanczos = LanczosState{Epoch: b.lanczos.Epoch, Start: slices.Clone(b.lanczos.Start), Vector: slices.Clone(b.lanczos.Vector)}
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
	b.lanczos = LanczosState{Epoch: s.Lanczos.Epoch, Start: slices.Clone(s.Lanczos.Start), Vector: slices.Clone(s.Lanczos.Vector)}
	return nil
}

// LoadState reads a checkpoint.
func LoadState(path string) (State, error) {
	var s State
	if err := runfolder.LoadGob(path, "search", &s); err != nil {
		return s, err
	}
	if s.Version < oldestStateVersion || s.Version > stateVersion {
		return s, fmt.Errorf("checkpoint %s was written by another version of rdarts (format %d, this one reads %d to %d)", path, s.Version, oldestStateVersion, stateVersion)
	}
	return s, nil
}
