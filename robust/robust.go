// Package robust runs R-DARTS: one search per regularisation value of a
// grid — the weight decay of w for R-DARTS(L2), the ScheduledDropPath
// probability (with cutout) for R-DARTS(DP) — and the selection of one
// member's architecture.
//
// Selection (docs/method.md § R-DARTS): by default each member's
// architecture is retrained from scratch for a short budget on the
// search's w images and scored on its α images (RuleRetrain); the member
// with the best held-out accuracy wins. The test set is never looked at.
// RuleOneShot picks the best one-shot validation accuracy at the end of
// search instead, which favours the weakest regularisation: one-shot
// accuracy falls as regularisation rises whatever the architecture.
package robust

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"

	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/provenance"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/train"
)

// Grids are R-DARTS' regularisation grids, the paper's sets.
var Grids = map[string][]float64{
	"l2": {3e-4, 9e-4, 2.7e-3, 8.1e-3},
	"dp": {0, 0.2, 0.4, 0.6},
}

// Rule is how a member is selected.
type Rule string

// Selection rules.
const (
	RuleRetrain Rule = "retrain" // short retraining from scratch, held-out accuracy
	RuleOneShot Rule = "oneshot" // one-shot validation accuracy at the end of search
)

// ParseRule reads a rule's name.
func ParseRule(s string) (Rule, error) {
	switch Rule(s) {
	case RuleRetrain, RuleOneShot:
		return Rule(s), nil
	}
	return "", fmt.Errorf("%q is not one of retrain, oneshot", s)
}

// Budget is the short retraining that scores a member's architecture.
type Budget struct {
	Epochs    int `json:"epochs" yaml:"epochs"`
	Layers    int `json:"layers" yaml:"layers"`
	Channels  int `json:"init_channels" yaml:"init_channels"`
	BatchSize int `json:"batch_size" yaml:"batch_size"`
	// TrainSize caps the search's w images trained on (0 = all of them);
	// ValidSize caps its α images scored (0 = all of them).
	TrainSize int `json:"train_size" yaml:"train_size"`
	ValidSize int `json:"valid_size" yaml:"valid_size"`
}

// DefaultBudget is rdarts' selection budget: 10 epochs of a 5-cell,
// 16-channel network, batch 96, on all of the search's w images, scored on
// all of its α images; no auxiliary tower, cutout or drop path. Small on
// purpose: it ranks architectures, it does not estimate their final error.
func DefaultBudget() Budget {
	return Budget{Epochs: 10, Layers: 5, Channels: 16, BatchSize: 96}
}

// Validate names the first bad field.
func (b Budget) Validate() error {
	switch {
	case b.Epochs < 1:
		return fmt.Errorf("select-epochs: must be at least 1, have %d", b.Epochs)
	case b.Layers < 1 || b.Channels < 1:
		return fmt.Errorf("select-layers, select-init-channels: must be at least 1, have %d, %d", b.Layers, b.Channels)
	case b.BatchSize < 2:
		return fmt.Errorf("select-batch-size: must be at least 2, have %d", b.BatchSize)
	case b.TrainSize < 0 || b.ValidSize < 0:
		return fmt.Errorf("select-train-size, select-valid-size: must not be negative")
	}
	return nil
}

// SelectConfig is the training configuration that scores a finished
// search: its genotype trained on the search's w images and evaluated on
// its α images, with the search's seed (the same for every member).
func SelectConfig(s search.Config, res search.Outcome, dir string, b Budget) train.Config {
	c := train.Defaults()
	c.Genotype, c.GenotypeSource = res.Genotype, dir
	c.Dataset, c.Data, c.Seed = s.Dataset, s.Data, s.Seed
	c.Epochs, c.Layers, c.Channels, c.BatchSize = b.Epochs, b.Layers, b.Channels, b.BatchSize
	c.Auxiliary, c.Cutout, c.DropPath = false, false, 0
	c.TrainSize = res.Split.WImages
	if b.TrainSize > 0 {
		c.TrainSize = min(b.TrainSize, c.TrainSize)
	}
	c.ValidFrom, c.ValidSize = res.Split.WImages, res.Split.AlphaEnd-res.Split.WImages
	if b.ValidSize > 0 {
		c.ValidSize = min(b.ValidSize, c.ValidSize)
	}
	return c
}

// MemberConfig is the search configuration of one member of a grid.
func MemberConfig(base search.Config, family string, v float64) search.Config {
	c := base
	if family == "l2" {
		c.WeightDecay = v
	} else {
		c.DropPath, c.Cutout = v, true
	}
	c.Method, c.Member = "darts", &search.Member{Family: family, Value: v}
	return c
}

// MemberName is a member's folder name: family_value.
func MemberName(family string, v float64) string {
	return family + "_" + strconv.FormatFloat(v, 'g', -1, 64)
}

// Member is one search of an R-DARTS grid and its scores.
type Member struct {
	Value    float64 `json:"value"`
	Dir      string  `json:"dir"`
	Genotype string  `json:"genotype"`
	// ValidAcc is the one-shot validation accuracy at the end of search.
	ValidAcc float64 `json:"valid_acc"`
	// SelectAcc is the held-out accuracy after the selection retraining
	// (RuleRetrain), in SelectDir.
	SelectAcc *float64 `json:"select_acc,omitempty"`
	SelectDir string   `json:"select_dir,omitempty"`
}

// Score is the number a rule ranks members by.
func (m Member) Score(r Rule) float64 {
	if r == RuleRetrain && m.SelectAcc != nil {
		return *m.SelectAcc
	}
	return m.ValidAcc
}

// Result is R-DARTS' answer: every member and the chosen one; it is
// written as robust.json.
type Result struct {
	Family   string   `json:"family"`
	Rule     Rule     `json:"rule"`
	Budget   *Budget  `json:"budget,omitempty"`
	Members  []Member `json:"members"`
	Best     int      `json:"best"`
	Genotype string   `json:"genotype"`
}

// Choose returns the index of the best member by rule (the first on a
// tie), or −1 for none.
func Choose(ms []Member, r Rule) int {
	best := -1
	for i, m := range ms {
		if best < 0 || m.Score(r) > ms[best].Score(r) {
			best = i
		}
	}
	return best
}

// Options are what Run needs besides the base configuration.
type Options struct {
	Family   string
	Values   []float64 // nil: the family's grid
	Rule     Rule
	Budget   Budget
	Dir      string
	Kernels  kernels.Backend
	Log      *slog.Logger
	Progress runfolder.Progress
}

// Run runs R-DARTS in o.Dir: each member's search in o.Dir/<family>_<value>
// (finished members are kept, interrupted ones resume), then, for
// RuleRetrain, each member's selection retraining in
// o.Dir/select/<family>_<value>, and writes robust.json and genotype.txt.
func Run(ctx context.Context, base search.Config, o Options) (Result, error) {
	if _, ok := Grids[o.Family]; !ok {
		return Result{}, fmt.Errorf("--kind: %q is not l2 or dp", o.Family)
	}
	values := o.Values
	if len(values) == 0 {
		values = Grids[o.Family]
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	res := Result{Family: o.Family, Rule: o.Rule, Best: -1}
	if o.Rule == RuleRetrain {
		b := o.Budget
		res.Budget = &b
		if err := b.Validate(); err != nil {
			return res, err
		}
	}
	// The lock is held for the whole run; the members' folders below have
	// their own.
	f, err := runfolder.Acquire(o.Dir)
	if err != nil {
		return res, err
	}
	defer f.Release()
	if err := provenance.Append(f, provenance.Collect(backendName(o.Kernels)), provenance.NextEvent(f)); err != nil {
		return res, err
	}
	for _, v := range values {
		c := MemberConfig(base, o.Family, v)
		dir := filepath.Join(o.Dir, MemberName(o.Family, v))
		out, err := runSearch(ctx, c, dir, o)
		if err != nil {
			return res, fmt.Errorf("%s: %w", dir, err)
		}
		m := Member{Value: v, Dir: dir, Genotype: out.Genotype, ValidAcc: out.ValidAcc}
		if o.Rule == RuleRetrain {
			m.SelectDir = filepath.Join(o.Dir, "select", MemberName(o.Family, v))
			acc, err := runSelect(ctx, SelectConfig(c, out, dir, o.Budget), m.SelectDir, o)
			if err != nil {
				return res, fmt.Errorf("%s: %w", m.SelectDir, err)
			}
			m.SelectAcc = &acc
		}
		res.Members = append(res.Members, m)
	}
	res.Best = Choose(res.Members, o.Rule)
	res.Genotype = res.Members[res.Best].Genotype
	if err := f.Write(runfolder.GenotypeFile, []byte(res.Genotype+"\n")); err != nil {
		return res, err
	}
	return res, f.WriteJSON("robust.json", res)
}

// backendName names a kernels backend for provenance ("" when unset).
func backendName(k kernels.Backend) string {
	if k == nil {
		return ""
	}
	return k.Name()
}

func runSearch(ctx context.Context, c search.Config, dir string, o Options) (search.Outcome, error) {
	if runfolder.Finished(dir) {
		if saved, err := search.LoadConfig(dir); err == nil {
			if err := runfolder.SameSettings(dir, saved, c); err != nil {
				return search.Outcome{}, err
			}
		}
		return search.ReadResult(dir)
	}
	r, err := search.NewRunner(c, dir, o.Kernels, o.Log)
	if err != nil {
		return search.Outcome{}, err
	}
	r.Progress = o.Progress
	if err := r.Start(runfolder.Resumable(dir)); err != nil {
		return search.Outcome{}, err
	}
	o.Log.Info("R-DARTS member", "out", dir, "weight_decay", c.WeightDecay, "drop_path", c.DropPath)
	if err := r.Run(ctx); err != nil {
		return search.Outcome{}, err
	}
	res, _ := r.Outcome()
	return res, nil
}

func runSelect(ctx context.Context, c train.Config, dir string, o Options) (float64, error) {
	if runfolder.Finished(dir) {
		saved, err := train.ReadConfig(dir)
		if err != nil {
			return 0, err
		}
		if err := runfolder.SameSettings(dir, saved, c); err != nil {
			return 0, err
		}
	} else {
		r, err := train.NewRunner(c, dir, o.Kernels, o.Log)
		if err != nil {
			return 0, err
		}
		r.Progress = o.Progress
		if err := r.Start(runfolder.Resumable(dir)); err != nil {
			return 0, err
		}
		o.Log.Info("R-DARTS selection", "out", dir, "epochs", c.Epochs, "train_images", c.TrainSize, "held_out", c.EvalSet())
		if err := r.Run(ctx); err != nil {
			return 0, err
		}
	}
	res, err := train.ReadResult(dir)
	return res.TestAcc, err
}
