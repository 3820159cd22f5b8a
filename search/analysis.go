package search

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/runfolder"
)

// ESResult is the DARTS-ES rule applied offline to a finished run.
type ESResult struct {
	Stopped   bool    `json:"stopped"`
	DecidedAt int     `json:"decided_at,omitempty"` // epoch whose eigenvalue fired the rule
	StopEpoch int     `json:"stop_epoch,omitempty"` // epoch whose architecture is returned
	Genotype  string  `json:"genotype,omitempty"`
	ValidAcc  float64 `json:"valid_acc,omitempty"`
	EVs       int     `json:"evs"`
}

// AnalyzeES applies the DARTS-ES rule (with the run's own constants) to the
// eigenvalues of a run's metrics.jsonl, as RD:plots/increasing_eigens.py
// does; for a DARTS-ES run it names the epoch the run itself stopped at.
func AnalyzeES(dir string) (ESResult, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return ESResult{}, err
	}
	ms, err := ReadMetrics(dir, true)
	if err != nil {
		return ESResult{}, err
	}
	var evs []EpochEV
	for _, m := range ms {
		if m.EV != nil {
			evs = append(evs, EpochEV{Epoch: m.Epoch, EV: *m.EV})
		}
	}
	res := ESResult{EVs: len(evs)}
	if len(evs) == 0 {
		return res, fmt.Errorf("%s: metrics.jsonl has no eigenvalues (run the search with --hessian-every)", dir)
	}
	rule := &EarlyStop{Window: cfg.ES.Window, Delta: cfg.ES.Delta, Factor: cfg.ES.Factor, StartEpoch: cfg.ES.StartEpoch, Every: max(cfg.HessianEvery, 1)}
	decided, stop, ok := StopEpoch(evs, cfg.Epochs-1, rule)
	if !ok {
		return res, nil
	}
	res.Stopped, res.DecidedAt, res.StopEpoch = true, decided, stop
	for _, m := range ms {
		if m.Epoch == stop {
			res.Genotype, res.ValidAcc = m.Genotype, m.ValidAcc
		}
	}
	return res, nil
}

// OpenRun rebuilds a run's searcher from its folder and loads the state at
// the end of epoch (−1: the latest checkpoint).
func OpenRun(dir string, epoch int, k kernels.Backend, log *slog.Logger) (*Runner, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	r, err := NewRunner(cfg, dir, k, log)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, runfolder.CheckpointFile)
	if epoch >= 0 {
		path = filepath.Join(dir, runfolder.EpochCheckpoint(epoch))
	}
	s, err := LoadState(path)
	if err != nil {
		if epoch >= 0 {
			return nil, fmt.Errorf("epoch %d: %w (keep every epoch with search --keep-checkpoints)", epoch, err)
		}
		return nil, err
	}
	if epoch < 0 && s.Pos.Step != 0 {
		return nil, fmt.Errorf("%s: the latest checkpoint is in the middle of epoch %d; resume the run first or pass --epoch", dir, s.Pos.Epoch)
	}
	if err := r.b.restore(s); err != nil {
		return nil, err
	}
	r.state = s
	return r, nil
}

// Epoch is the last finished epoch of a loaded run.
func (r *Runner) Epoch() int { return r.state.Pos.Epoch - 1 }

// Hessian recomputes the eigen-analysis of a loaded run at its epoch, on
// the same batch the search used (the last α batch of the epoch).
func (r *Runner) Hessian(exact bool, topK int) (Eigen, error) {
	epoch := r.Epoch()
	if epoch < 0 {
		return Eigen{}, fmt.Errorf("no finished epoch to analyse")
	}
	var vb data.Batch
	r.valid.RandomBatch(epoch, r.train.Steps()-1, &vb)
	return r.b.DominantEigenvalue(toBatch(&vb), r.DropPath(epoch), r.Cfg.ArchWeightDecay, epoch, exact, topK)
}
