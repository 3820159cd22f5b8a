package train

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rdarts/rdarts/internal/atomicfile"
	"github.com/rdarts/rdarts/optim"
)

// State is everything a run needs to continue exactly where it stopped:
// weights, batch-norm statistics, the optimiser, the position in the data
// (epoch and step: every batch and drop-path mask is a function of them),
// the partial epoch's running sums and the metrics so far.
type State struct {
	Epoch, Step int // next step to run
	W           [][]float32
	BNMean      [][]float32
	BNVar       [][]float32
	SGD         optim.SGDState
	Sums        Sums
	History     []Metrics
	// Done is set once the last epoch has finished.
	Done bool
}

// Sums accumulates an epoch's training loss and accuracy.
type Sums struct {
	Loss    float64
	Correct int
	N       int
	Seconds float64
}

// capture copies the run's state.
func (r *Runner) capture() State {
	s := State{Epoch: r.state.Epoch, Step: r.state.Step, Sums: r.state.Sums, History: r.state.History, Done: r.state.Done}
	for _, v := range r.net.W.Vars {
		s.W = append(s.W, append([]float32(nil), v.Value.Data...))
	}
	for _, st := range r.net.W.BN {
		s.BNMean = append(s.BNMean, append([]float32(nil), st.Mean...))
		s.BNVar = append(s.BNVar, append([]float32(nil), st.Var...))
	}
	s.SGD = r.sgd.State()
	return s
}

// restore loads a State's network and optimiser parts, checking that it
// belongs to a network of the same shape.
func (r *Runner) restore(s State) error {
	w := r.net.W
	if len(s.W) != len(w.Vars) || len(s.BNMean) != len(w.BN) || len(s.BNVar) != len(w.BN) {
		return fmt.Errorf("checkpoint holds %d weight tensors and %d batch norms, the network has %d and %d: was it made with another genotype, layers or channels?",
			len(s.W), len(s.BNMean), len(w.Vars), len(w.BN))
	}
	for i, v := range w.Vars {
		if len(s.W[i]) != v.Value.Len() {
			return fmt.Errorf("checkpoint tensor %s has %d values, the network %d", w.Names[i], len(s.W[i]), v.Value.Len())
		}
	}
	for i, st := range w.BN {
		if len(s.BNMean[i]) != len(st.Mean) || len(s.BNVar[i]) != len(st.Var) {
			return fmt.Errorf("checkpoint batch norm %s has %d channels, the network %d", w.BNNames[i], len(s.BNMean[i]), len(st.Mean))
		}
	}
	if b := s.SGD.Buffers; b != nil && len(b) != len(w.Vars) {
		return fmt.Errorf("checkpoint holds %d momentum buffers for %d weight tensors", len(b), len(w.Vars))
	}
	for i, v := range w.Vars {
		copy(v.Value.Data, s.W[i])
	}
	for i, st := range w.BN {
		copy(st.Mean, s.BNMean[i])
		copy(st.Var, s.BNVar[i])
	}
	r.sgd.SetState(s.SGD)
	return nil
}

// checkpoint saves the current state atomically.
func (r *Runner) checkpoint() error {
	return SaveState(filepath.Join(r.Dir, stateFile), r.capture())
}

// SaveState writes a checkpoint atomically.
func SaveState(path string, s State) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return fmt.Errorf("encoding checkpoint %s: %w", path, err)
	}
	if err := atomicfile.Write(path, buf.Bytes()); err != nil {
		return fmt.Errorf("writing checkpoint %s: %w", path, err)
	}
	return nil
}

// LoadState reads a checkpoint.
func LoadState(path string) (State, error) {
	var s State
	b, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("reading checkpoint: %w", err)
	}
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s); err != nil {
		return s, fmt.Errorf("checkpoint %s is damaged or not an rdarts training checkpoint: %w", path, err)
	}
	return s, nil
}
