// Package analysis holds the analyses of finished (or interrupted) search
// runs, read from their run folders: the DARTS-ES rule applied offline to
// a run's eigenvalues (AnalyzeES) and the accuracy drop of the one-shot
// network when α is discretised (MeasureDrop).
package analysis

import (
	"fmt"
	"log/slog"

	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/search"
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

// AnalyzeES applies the DARTS-ES rule (with the run's own constants) to
// the eigenvalues of a run's metrics.jsonl; for a DARTS-ES run it names
// the epoch the run itself stopped at.
func AnalyzeES(dir string) (ESResult, error) {
	cfg, err := search.LoadConfig(dir)
	if err != nil {
		return ESResult{}, err
	}
	ms, err := search.ReadMetrics(dir, true)
	if err != nil {
		return ESResult{}, err
	}
	var evs []search.EpochEV
	for _, m := range ms {
		if m.EV != nil {
			evs = append(evs, search.EpochEV{Epoch: m.Epoch, EV: *m.EV})
		}
	}
	res := ESResult{EVs: len(evs)}
	if len(evs) == 0 {
		return res, fmt.Errorf("%s: metrics.jsonl has no eigenvalues (run the search with --hessian-every)", dir)
	}
	rule := &search.EarlyStop{Window: cfg.ES.Window, Delta: cfg.ES.Delta, Factor: cfg.ES.Factor, StartEpoch: cfg.ES.StartEpoch, Every: max(cfg.HessianEvery, 1)}
	decided, stop, ok := search.StopEpoch(evs, cfg.Epochs-1, rule)
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
	// Epoch and Data choose the checkpoint and the data (search.OpenOptions).
	Epoch int
	Data  string
	// Clean evaluates with the test transform instead of the search's.
	Clean bool
}

// MeasureDrop evaluates a search run's one-shot network on its validation
// split with continuous and with discretised α (see Drop). The genotype is
// derived from the checkpoint's α (for a DARTS-ES run stopped early that is
// the α of the epoch it ran to, not of the stop epoch its genotype.txt
// names: pass that epoch for the latter, if its checkpoint exists).
func MeasureDrop(dir string, o DropOptions, k kernels.Backend, log *slog.Logger) (Drop, error) {
	r, err := search.Open(dir, search.OpenOptions{Epoch: o.Epoch, Data: o.Data}, k, log)
	if err != nil {
		return Drop{}, err
	}
	pos := r.Position()
	d := Drop{Epoch: pos.Epoch - 1, Checkpoint: r.Checkpoint(), Transform: "train"}
	if pos.Step > 0 {
		d.Epoch, d.Step = pos.Epoch, pos.Step
	}
	if o.Clean {
		d.Transform = "test"
	}
	if d.ContinuousLoss, d.ContinuousAcc, d.Images, err = r.EvaluateValid(d.Epoch, o.Clean, false); err != nil {
		return d, err
	}
	g, err := r.Discretize()
	if err != nil {
		return d, err
	}
	d.Genotype = g.String()
	if d.DiscreteLoss, d.DiscreteAcc, _, err = r.EvaluateValid(d.Epoch, o.Clean, true); err != nil {
		return d, err
	}
	d.Drop = d.ContinuousAcc - d.DiscreteAcc
	if key, bad := runfolder.NonFinite(d); bad {
		return d, fmt.Errorf("%s: %s is NaN or Inf: the checkpoint's network has diverged", d.Checkpoint, key)
	}
	for _, m := range r.History() {
		if m.Epoch == d.Epoch && d.Step == 0 {
			acc := m.ValidAcc
			d.LoggedValidAcc = &acc
		}
	}
	return d, nil
}
