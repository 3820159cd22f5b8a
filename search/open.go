package search

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/space"
)

// OpenOptions choose the state Open loads.
type OpenOptions struct {
	// Epoch < 0 loads checkpoint.gob, the latest state (possibly inside an
	// epoch); otherwise the end of that epoch: checkpoint.gob if it holds
	// it, else checkpoint_<Epoch>.gob (kept by --keep-checkpoints, and by
	// DARTS-ADA until its last rollback).
	Epoch int
	// Data overrides the run's dataset folder (config.json holds the path
	// as given to the search, which may be relative).
	Data string
}

// Open rebuilds a search run from its folder, read-only, with its state at
// a checkpoint, for analyses of the run (package analysis).
func Open(dir string, o OpenOptions, k kernels.Backend, log *slog.Logger) (*Runner, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	if o.Data != "" {
		cfg.Data = o.Data
	}
	s, path, err := checkpointAt(dir, o.Epoch)
	if err != nil {
		return nil, err
	}
	r, err := NewRunner(cfg, dir, k, log)
	if err != nil {
		return nil, err
	}
	if err := r.b.restore(s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.state, r.opened = s, path
	r.es.SetState(s.ES)
	return r, nil
}

// checkpointAt finds the checkpoint of an epoch (< 0: the latest).
func checkpointAt(dir string, epoch int) (State, string, error) {
	main := filepath.Join(dir, runfolder.CheckpointFile)
	s, err := LoadState(main)
	if epoch < 0 {
		if err == nil && s.Pos.Epoch == 0 && s.Pos.Step == 0 {
			err = errors.New("it was written before the first step: no epoch has finished")
		}
		if err != nil {
			return s, main, fmt.Errorf("%s: %w", main, err)
		}
		return s, main, nil
	}
	if err == nil && s.Pos.Epoch == epoch+1 && s.Pos.Step == 0 {
		return s, main, nil
	}
	path := filepath.Join(dir, runfolder.EpochCheckpoint(epoch))
	if _, statErr := os.Stat(path); statErr != nil {
		have := "none"
		if err == nil {
			have = fmt.Sprintf("the end of epoch %d", s.Pos.Epoch-1)
			if s.Pos.Step > 0 {
				have = fmt.Sprintf("epoch %d after %d steps", s.Pos.Epoch, s.Pos.Step)
			}
		}
		return s, path, fmt.Errorf("no checkpoint of epoch %d in %s: checkpoint.gob holds %s, and per-epoch checkpoints are kept by search --keep-checkpoints (and by darts-ada until its last rollback)", epoch, dir, have)
	}
	s, err = LoadState(path)
	return s, path, err
}

// Position is where the loaded state stands.
func (r *Runner) Position() runfolder.Position { return r.state.Pos }

// Checkpoint is the file Open loaded.
func (r *Runner) Checkpoint() string { return r.opened }

// History is the metrics recorded up to the loaded state.
func (r *Runner) History() []Metrics { return r.state.History }

// Space is the run's search space.
func (r *Runner) Space() space.Space { return r.sp }

// Epoch is the last finished epoch of a loaded run.
func (r *Runner) Epoch() int { return r.state.Pos.Epoch - 1 }

// Hessian recomputes the eigen-analysis of a loaded run at its epoch, on
// the same batch the search used (the last α batch of the epoch).
func (r *Runner) Hessian(exact bool, topK int) (Eigen, error) {
	epoch := r.Epoch()
	if epoch < 0 {
		return Eigen{}, fmt.Errorf("no finished epoch to analyse")
	}
	if r.state.Pos.Step != 0 {
		return Eigen{}, fmt.Errorf("%s: the checkpoint is in the middle of epoch %d; resume the run first or pass --epoch", r.Dir, r.state.Pos.Epoch)
	}
	var vb data.Batch
	r.valid.RandomBatch(epoch, r.train.Steps()-1, &vb)
	if l := &r.b.lanczos; l.Epoch == epoch {
		// The checkpoint was taken after this epoch's analysis: repeat it
		// from the start it had.
		l.Vector = l.Start
	}
	return r.b.DominantEigenvalue(toBatch(&vb), r.DropPath(epoch), r.Cfg.ArchWeightDecay, epoch, exact, topK)
}

// EvaluateValid evaluates the network on the whole α half in eval mode,
// with the search's own transform (the reference validates with it) or,
// with clean, the test transform; discrete uses α as one-hot weights.
func (r *Runner) EvaluateValid(epoch int, clean, discrete bool) (loss, acc float64, n int, err error) {
	l := r.infer
	if clean {
		norm, err := data.NormFor(r.Cfg.Dataset)
		if err != nil {
			return 0, 0, 0, err
		}
		l.Transform = data.Eval{Norm: norm}
	}
	loss, acc, n = r.evaluateSplit(l, epoch, discrete)
	return loss, acc, n, nil
}

// evaluateSplit runs a whole loader in eval mode.
func (r *Runner) evaluateSplit(l data.Loader, epoch int, discrete bool) (loss, acc float64, n int) {
	it := data.Iterate(l.Epoch(epoch), 0, 2)
	defer it.Close()
	var sum float64
	var c int
	for step := 0; ; step++ {
		b, ok := it.Next()
		if !ok {
			break
		}
		res := r.b.Evaluate(toBatch(b), discrete, epoch, step)
		sum += res.Loss * float64(res.N)
		c += res.Correct
		n += res.N
	}
	return sum / float64(n), 100 * float64(c) / float64(n), n
}

// setRows writes α rows into a flat float32 buffer.
func setRows(dst []float32, rows [][]float64) {
	i := 0
	for _, row := range rows {
		for _, v := range row {
			dst[i] = float32(v)
			i++
		}
	}
}

// Discretize replaces α by the one-hot α of the network's genotype and
// returns that genotype.
func (r *Runner) Discretize() (space.Genotype, error) {
	g := r.b.Net.Genotype()
	normal, reduce, err := space.OneHot(r.sp, g)
	if err != nil {
		return g, fmt.Errorf("genotype %s: %w", g, err)
	}
	setRows(r.b.Net.AlphaNormal.Value.Data, normal)
	if !r.sp.Shared {
		setRows(r.b.Net.AlphaReduce.Value.Data, reduce)
	}
	return g, nil
}
