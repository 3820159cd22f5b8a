package search

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"

	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/runfolder"
)

// RobustGrids are R-DARTS' regularisation grids (spec §6, the paper's sets).
var RobustGrids = map[string][]float64{
	"l2": {3e-4, 9e-4, 2.7e-3, 8.1e-3},
	"dp": {0, 0.2, 0.4, 0.6},
}

// RobustMember is one search of an R-DARTS grid.
type RobustMember struct {
	Value    float64 `json:"value"`
	Dir      string  `json:"dir"`
	ValidAcc float64 `json:"valid_acc"`
	Genotype string  `json:"genotype"`
}

// RobustResult is R-DARTS' answer: every member and the chosen one.
type RobustResult struct {
	Kind     string         `json:"kind"`
	Members  []RobustMember `json:"members"`
	Best     int            `json:"best"`
	Genotype string         `json:"genotype"`
}

// Robust runs R-DARTS(L2) (kind "l2": one search per weight decay) or
// R-DARTS(DP) (kind "dp": one per drop-path probability, with cutout) in
// dir/<kind>_<value>, and picks the architecture with the best one-shot
// validation accuracy at the end of its search (the selection the
// reference logs; the paper's short-retraining selection can be done with
// rdarts train on the members). Finished members are not run again,
// interrupted ones resume.
func Robust(ctx context.Context, cfg Config, kind string, values []float64, dir string, k kernels.Backend, log *slog.Logger, p Progress) (RobustResult, error) {
	if _, ok := RobustGrids[kind]; !ok {
		return RobustResult{}, fmt.Errorf("--kind: %q is not l2 or dp", kind)
	}
	if len(values) == 0 {
		values = RobustGrids[kind]
	}
	res := RobustResult{Kind: kind, Best: -1}
	for _, v := range values {
		c := cfg
		if kind == "l2" {
			c.WeightDecay = v
		} else {
			c.DropPath, c.Cutout = v, true
		}
		c.Member = &Member{Family: kind, Value: v}
		mdir := filepath.Join(dir, kind+"_"+strconv.FormatFloat(v, 'g', -1, 64))
		m, err := runMember(ctx, c, mdir, k, log, p)
		if err != nil {
			return res, fmt.Errorf("%s: %w", mdir, err)
		}
		m.Value = v
		res.Members = append(res.Members, m)
		if res.Best < 0 || m.ValidAcc > res.Members[res.Best].ValidAcc {
			res.Best = len(res.Members) - 1
		}
	}
	res.Genotype = res.Members[res.Best].Genotype
	f, err := runfolder.Acquire(dir)
	if err != nil {
		return res, err
	}
	defer f.Release()
	if err := f.Write(runfolder.GenotypeFile, []byte(res.Genotype+"\n")); err != nil {
		return res, err
	}
	return res, f.WriteJSON("robust.json", res)
}

func runMember(ctx context.Context, c Config, dir string, k kernels.Backend, log *slog.Logger, p Progress) (RobustMember, error) {
	r, err := NewRunner(c, dir, k, log)
	if err != nil {
		return RobustMember{}, err
	}
	r.Progress = p
	if err := r.Start(runfolder.Resumable(dir)); err != nil {
		return RobustMember{}, err
	}
	defer r.Close()
	if !r.Done() {
		log.Info("R-DARTS member", "out", dir, "weight_decay", c.WeightDecay, "drop_path", c.DropPath)
		if err := r.Run(ctx); err != nil {
			return RobustMember{}, err
		}
	}
	m, _ := r.Final()
	return RobustMember{Dir: dir, ValidAcc: m.ValidAcc, Genotype: m.Genotype}, nil
}
