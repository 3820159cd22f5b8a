package rnnsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strconv"

	"github.com/rdarts/rdarts/internal/atomicfile"
	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/runfolder"
)

// L2Member is one member of an R-DARTS(L2) group: its weight decay, its
// search's answer and the short retraining that scored it.
type L2Member struct {
	WeightDecay float64        `json:"weight_decay"`
	Dir         string         `json:"dir"`
	Search      Outcome        `json:"search"`
	Select      RetrainOutcome `json:"select"`
}

// L2Result is an R-DARTS(L2) group's result.json: every member and the
// chosen one (the lowest validation perplexity after the short retraining).
type L2Result struct {
	Members []L2Member `json:"members"`
	Chosen  int        `json:"chosen"`
}

// RobustL2 is R-DARTS(L2) on the recurrent space: one search per weight
// decay (base with WeightDecay replaced; folder out/wd_<decay>), each
// answer retrained with sel (its Genotype and Data filled in; folder
// out/wd_<decay>/select), the member with the lowest validation perplexity
// chosen. A finished search or retraining is not run again and an
// interrupted one resumes. The group's result goes to
// out/result.json.
func RobustL2(ctx context.Context, base Config, decays []float64, sel RetrainConfig, out string, k kernels.Backend, log *slog.Logger) (L2Result, error) {
	if len(decays) == 0 {
		return L2Result{}, fmt.Errorf("weight-decays: give at least one")
	}
	var res L2Result
	for _, wd := range decays {
		cfg := base
		cfg.WeightDecay = wd
		dir := filepath.Join(out, "wd_"+strconv.FormatFloat(wd, 'g', -1, 64))
		r, err := NewRunner(cfg, dir, k, log)
		if err != nil {
			return L2Result{}, err
		}
		if err := r.Start(runfolder.Resumable(dir)); err != nil {
			return L2Result{}, err
		}
		if err := r.Run(ctx); err != nil {
			return L2Result{}, fmt.Errorf("%s: %w", dir, err)
		}
		o, ok := r.Outcome()
		if !ok {
			return L2Result{}, fmt.Errorf("%s: the search did not finish", dir)
		}
		s := sel
		s.Genotype, s.Data = o.Genotype, base.Data
		so, err := selectionRetrain(ctx, s, filepath.Join(dir, "select"), k, log)
		if err != nil {
			return L2Result{}, fmt.Errorf("%s: selection: %w", dir, err)
		}
		res.Members = append(res.Members, L2Member{WeightDecay: wd, Dir: dir, Search: o, Select: so})
	}
	best := math.Inf(1)
	for i, m := range res.Members {
		if m.Select.ValidPPL < best {
			best, res.Chosen = m.Select.ValidPPL, i
		}
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return L2Result{}, err
	}
	return res, atomicfile.Write(filepath.Join(out, runfolder.ResultFile), append(b, '\n'))
}

// selectionRetrain runs a member's selection retraining, resuming it if
// its folder holds one (a finished one is only read back).
func selectionRetrain(ctx context.Context, cfg RetrainConfig, dir string, k kernels.Backend, log *slog.Logger) (RetrainOutcome, error) {
	r, err := NewRetrainer(cfg, dir, k, log)
	if err != nil {
		return RetrainOutcome{}, err
	}
	if err := r.Start(runfolder.Resumable(dir)); err != nil {
		return RetrainOutcome{}, err
	}
	if err := r.Run(ctx); err != nil {
		return RetrainOutcome{}, err
	}
	out, _ := r.Outcome()
	return out, nil
}
