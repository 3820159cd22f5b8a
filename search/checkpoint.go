package search

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"

	"github.com/rdarts/rdarts/internal/atomicfile"
	"github.com/rdarts/rdarts/optim"
)

// State is everything a run needs to continue exactly where it stopped:
// weights, α, both optimisers, batch-norm statistics, the position in the
// data (epoch and step: every batch is a function of them), the partial
// epoch's running sums, the metrics so far and the methods' state.
type State struct {
	Epoch, Step int // next step to run
	W           [][]float32
	BNMean      [][]float32
	BNVar       [][]float32
	Alpha       [][]float32
	SGD         optim.SGDState
	Adam        optim.AdamState
	Sums        Sums
	History     []Metrics
	ES          EarlyStopState
	ADA         Adaptive
	// Done is set once the run has finished (normally or by DARTS-ES).
	Done bool
	// Result, when set, is the run's answer where it is not an epoch's
	// record (RS-ws' selected architecture).
	Result *Metrics
}

// Sums accumulates an epoch's training loss and accuracy.
type Sums struct {
	Loss    float64
	Correct int
	N       int
	Seconds float64
}

// capture copies the searcher's state into a State.
func (b *Bilevel) capture() State {
	var s State
	for _, v := range b.Net.W.Vars {
		s.W = append(s.W, append([]float32(nil), v.Value.Data...))
	}
	for _, st := range b.Net.W.BN {
		s.BNMean = append(s.BNMean, append([]float32(nil), st.Mean...))
		s.BNVar = append(s.BNVar, append([]float32(nil), st.Var...))
	}
	for _, a := range b.Net.Alphas() {
		s.Alpha = append(s.Alpha, append([]float32(nil), a.Value.Data...))
	}
	s.SGD, s.Adam = b.SGD.State(), b.Adam.State()
	return s
}

// restore loads a State's network and optimiser parts, checking that it
// belongs to a network of the same shape.
func (b *Bilevel) restore(s State) error {
	if len(s.W) != len(b.Net.W.Vars) || len(s.BNMean) != len(b.Net.W.BN) || len(s.Alpha) != len(b.Net.Alphas()) {
		return fmt.Errorf("checkpoint holds %d weight tensors, %d batch norms and %d α, the network has %d, %d and %d: was it made with another space, layers or channels?",
			len(s.W), len(s.BNMean), len(s.Alpha), len(b.Net.W.Vars), len(b.Net.W.BN), len(b.Net.Alphas()))
	}
	for i, v := range b.Net.W.Vars {
		if len(s.W[i]) != v.Value.Len() {
			return fmt.Errorf("checkpoint tensor %s has %d values, the network %d", b.Net.W.Names[i], len(s.W[i]), v.Value.Len())
		}
		copy(v.Value.Data, s.W[i])
	}
	for i, st := range b.Net.W.BN {
		copy(st.Mean, s.BNMean[i])
		copy(st.Var, s.BNVar[i])
	}
	for i, a := range b.Net.Alphas() {
		if len(s.Alpha[i]) != a.Value.Len() {
			return fmt.Errorf("checkpoint α %d has %d values, the network %d", i, len(s.Alpha[i]), a.Value.Len())
		}
		copy(a.Value.Data, s.Alpha[i])
	}
	b.SGD.SetState(s.SGD)
	b.Adam.SetState(s.Adam)
	return nil
}

// WriteAtomic writes a file atomically (see internal/atomicfile).
func WriteAtomic(path string, data []byte) error { return atomicfile.Write(path, data) }

// SaveState writes a checkpoint atomically.
func SaveState(path string, s State) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return fmt.Errorf("encoding checkpoint %s: %w", path, err)
	}
	if err := WriteAtomic(path, buf.Bytes()); err != nil {
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
		return s, fmt.Errorf("checkpoint %s is damaged or not an rdarts checkpoint: %w", path, err)
	}
	return s, nil
}
