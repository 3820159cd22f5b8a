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
	"github.com/rdarts/rdarts/robust"
)

// L2Member is one member of an R-DARTS(L2) group: its weight decay, its
// search's answer and the short retraining that scored it.
type L2Member struct {
	WeightDecay float64        `json:"weight_decay"`
	Dir         string         `json:"dir"`
	Search      Outcome        `json:"search"`
	Select      RetrainOutcome `json:"select"` // zero with robust.RuleOneShot
}

// L2Result is an R-DARTS(L2) group's result.json: every member, the rule
// and the chosen member.
type L2Result struct {
	Rule    robust.Rule `json:"rule"`
	Members []L2Member  `json:"members"`
	Chosen  int         `json:"chosen"`
}

// L2Grid is the default R-DARTS(L2) grid of the recurrent space: the
// search's weight decay 5e-7 times 1, 3, 9 and 27, as the convolutional
// grid multiplies its 3e-4 (the paper gives no values for PTB).
func L2Grid() []float64 { return []float64{5e-7, 1.5e-6, 4.5e-6, 1.35e-5} }

// DefaultSelectConfig is the selection retraining of an R-DARTS(L2)
// member: the evaluation protocol (DefaultRetrainConfig) shortened to 3
// epochs at the search's 300 units; its test perplexity is not used, so
// the test split is read with 10 columns instead of 1.
func DefaultSelectConfig() RetrainConfig {
	c := DefaultRetrainConfig()
	c.Epochs, c.Hidden, c.TestBatch = 3, 300, 10
	return c
}

// Score is a member's score under rule: the selection retraining's
// validation perplexity (robust.RuleRetrain) or the search's own at its
// answer (robust.RuleOneShot); lower is better.
func (m L2Member) Score(rule robust.Rule) float64 {
	if rule == robust.RuleOneShot {
		return m.Search.ValidPPL
	}
	return m.Select.ValidPPL
}

// RobustL2 is R-DARTS(L2) on the recurrent space: one search per weight
// decay (base with WeightDecay replaced; folder out/wd_<decay>), then,
// with robust.RuleRetrain, each answer retrained with sel (its Genotype and
// Data filled in; folder out/wd_<decay>/select); the member with the
// lowest score (L2Member.Score) is chosen. A finished search or
// retraining is not run again and an interrupted one resumes. The group's
// result goes to out/result.json.
func RobustL2(ctx context.Context, base Config, decays []float64, rule robust.Rule, sel RetrainConfig, out string, k kernels.Backend, log *slog.Logger) (L2Result, error) {
	if len(decays) == 0 {
		return L2Result{}, fmt.Errorf("weight-decays: give at least one")
	}
	res := L2Result{Rule: rule}
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
		m := L2Member{WeightDecay: wd, Dir: dir, Search: o}
		if rule != robust.RuleOneShot {
			s := sel
			s.Genotype, s.Data = o.Genotype, base.Data
			if m.Select, err = Retrain(ctx, s, filepath.Join(dir, "select"), k, log); err != nil {
				return L2Result{}, fmt.Errorf("%s: selection: %w", dir, err)
			}
		}
		res.Members = append(res.Members, m)
	}
	best := math.Inf(1)
	for i, m := range res.Members {
		if sc := m.Score(rule); sc < best {
			best, res.Chosen = sc, i
		}
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return L2Result{}, err
	}
	return res, atomicfile.Write(filepath.Join(out, runfolder.ResultFile), append(b, '\n'))
}
