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

// Drop is the discretisation accuracy drop of a search run at one epoch:
// the one-shot network's validation accuracy with its continuous α, and
// with α replaced by the one-hot α of its genotype (the edges the genotype
// drops are not computed), both with the one-shot weights — the quantity
// RobustDARTS relates to the dominant eigenvalue.
//
// Both evaluations use eval mode, i.e. the batch-norm running statistics,
// and those were collected while training the continuous mixture: the
// discretised network is not recalibrated, as the paper evaluates it too.
type Drop struct {
	// Epoch is the epoch whose end the checkpoint holds; Step > 0 marks a
	// checkpoint taken inside Epoch (an interrupted run) after Step steps.
	Epoch      int    `json:"epoch"`
	Step       int    `json:"step,omitempty"`
	Checkpoint string `json:"checkpoint"`
	Genotype   string `json:"genotype"`
	Images     int    `json:"images"`
	// Transform is "train" (the search's own validation transform, as the
	// reference: the continuous accuracy then equals metrics.jsonl's
	// valid_acc of the epoch) or "test" (normalisation only).
	Transform      string  `json:"transform"`
	ContinuousLoss float64 `json:"continuous_loss"`
	ContinuousAcc  float64 `json:"continuous_acc"`
	DiscreteLoss   float64 `json:"discrete_loss"`
	DiscreteAcc    float64 `json:"discrete_acc"`
	// Drop is ContinuousAcc − DiscreteAcc, in percentage points.
	Drop float64 `json:"drop"`
	// LoggedValidAcc is metrics.jsonl's valid_acc of Epoch, when logged.
	LoggedValidAcc *float64 `json:"logged_valid_acc,omitempty"`
}

// DropOptions choose what MeasureDrop evaluates.
type DropOptions struct {
	// Epoch picks the checkpoint: < 0 means checkpoint.gob (the end of the
	// last finished epoch); otherwise checkpoint.gob if it holds the end of
	// that epoch, else checkpoint_<Epoch>.gob (kept with
	// Config.KeepCheckpoints, and by DARTS-ADA for its last few epochs).
	Epoch int
	// Data overrides the run's dataset folder (config.json holds the path
	// as given to the search, which may be relative).
	Data string
	// Clean evaluates with the test transform instead of the search's.
	Clean bool
}

// dropCheckpoint finds the checkpoint of an epoch and the epoch and step it
// holds.
func dropCheckpoint(dir string, epoch int) (State, string, error) {
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

// MeasureDrop evaluates a search run's one-shot network on its validation
// split with continuous and with discretised α (see Drop). The genotype is
// derived from the checkpoint's α (for a DARTS-ES run stopped early that is
// the α of the epoch it ran to, not of the stop epoch its genotype.txt
// names: pass that epoch for the latter, if its checkpoint exists).
func MeasureDrop(dir string, o DropOptions, k kernels.Backend, log *slog.Logger) (Drop, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return Drop{}, err
	}
	if o.Data != "" {
		cfg.Data = o.Data
	}
	s, path, err := dropCheckpoint(dir, o.Epoch)
	if err != nil {
		return Drop{}, err
	}
	r, err := NewRunner(cfg, dir, k, log)
	if err != nil {
		return Drop{}, err
	}
	if err := r.b.restore(s); err != nil {
		return Drop{}, fmt.Errorf("%s: %w", path, err)
	}
	d := Drop{Epoch: s.Pos.Epoch - 1, Checkpoint: path, Transform: "train"}
	if s.Pos.Step > 0 {
		d.Epoch, d.Step = s.Pos.Epoch, s.Pos.Step
	}
	loader := r.infer
	if o.Clean {
		norm, err := data.NormFor(cfg.Dataset)
		if err != nil {
			return Drop{}, err
		}
		loader.Transform, d.Transform = data.Eval{Norm: norm}, "test"
	}
	g := r.b.Net.Genotype()
	d.Genotype = g.String()
	normal, reduce, err := space.OneHot(r.sp, g)
	if err != nil {
		return Drop{}, fmt.Errorf("genotype %s: %w", g, err)
	}

	d.ContinuousLoss, d.ContinuousAcc, d.Images = r.evaluateSplit(loader, d.Epoch, false)
	setRows(r.b.Net.AlphaNormal.Value.Data, normal)
	if !r.sp.Shared {
		setRows(r.b.Net.AlphaReduce.Value.Data, reduce)
	}
	d.DiscreteLoss, d.DiscreteAcc, _ = r.evaluateSplit(loader, d.Epoch, true)
	for i, a := range r.b.Net.Alphas() { // back to the checkpoint's α
		copy(a.Value.Data, s.Alpha[i])
	}
	d.Drop = d.ContinuousAcc - d.DiscreteAcc
	if key, bad := runfolder.NonFinite(d); bad {
		return d, fmt.Errorf("%s: %s is NaN or Inf: the checkpoint's network has diverged", path, key)
	}
	for _, m := range s.History {
		if m.Epoch == d.Epoch && d.Step == 0 {
			acc := m.ValidAcc
			d.LoggedValidAcc = &acc
		}
	}
	return d, nil
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

// evaluateSplit runs a whole loader in eval mode, as validate does.
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
