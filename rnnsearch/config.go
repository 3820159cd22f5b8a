// Package rnnsearch is one recurrent-cell search run on its run folder: the
// DARTS language-model search of package rnnnet with the life cycle of the
// convolutional search (internal/runfolder: the folder's lock, atomic
// writes, config.json, metrics.jsonl, checkpoint.gob after every epoch and
// on interruption, genotype.txt and result.json last), so that a killed run
// resumes bit-identically, mid-epoch included.
package rnnsearch

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/search"
)

// Space is the name of the recurrent space (--space rnn), written in the
// config.json of its searches and retrainings.
const Space = "rnn"

// IsRun reports whether dir holds a recurrent run (a search or a
// retraining): its config.json names the space rnn. Other keys are not
// read, so a convolutional run's config is simply not one.
func IsRun(dir string) bool {
	b, err := os.ReadFile(runfolder.In(dir, runfolder.ConfigFile))
	if err != nil {
		return false
	}
	var c struct {
		Space string `json:"space"`
	}
	return json.Unmarshal(b, &c) == nil && c.Space == Space
}

// Config is a recurrent search's settings, as config.json holds them. The
// defaults (DefaultConfig) are the reference's (DARTS rnn/train_search.py).
type Config struct {
	Space string `json:"space" yaml:"space"` // "rnn": what marks a recurrent run folder (IsRun)
	Data  string `json:"data" yaml:"data"`   // PTB-format folder (corpus.Load)
	Seed  uint64 `json:"seed" yaml:"seed"`

	Epochs    int `json:"epochs" yaml:"epochs"`
	Hidden    int `json:"hidden" yaml:"hidden"` // embedding and hidden size
	BatchSize int `json:"batch_size" yaml:"batch_size"`
	EvalBatch int `json:"eval_batch" yaml:"eval_batch"`
	BPTT      int `json:"bptt" yaml:"bptt"`
	Order     int `json:"order" yaml:"order"` // 1 or 2

	LR              float64 `json:"lr" yaml:"lr"`
	Clip            float64 `json:"grad_clip" yaml:"grad_clip"`
	WeightDecay     float64 `json:"weight_decay" yaml:"weight_decay"`
	ArchLR          float64 `json:"arch_lr" yaml:"arch_lr"`
	ArchWeightDecay float64 `json:"arch_weight_decay" yaml:"arch_weight_decay"`
	TAR             float64 `json:"tar" yaml:"tar"` // temporal activation regularisation β (0: off)

	Dropout  float64 `json:"dropout" yaml:"dropout"`
	DropoutH float64 `json:"dropouth" yaml:"dropouth"`
	DropoutX float64 `json:"dropoutx" yaml:"dropoutx"`
	DropoutI float64 `json:"dropouti" yaml:"dropouti"`
	DropoutE float64 `json:"dropoute" yaml:"dropoute"`

	// TrainTokens and ValidTokens cut the splits to their first tokens for
	// reduced budgets (0: all).
	TrainTokens int `json:"train_tokens" yaml:"train_tokens"`
	ValidTokens int `json:"valid_tokens" yaml:"valid_tokens"`
	// HessianEvery computes the dominant Hessian eigenvalue w.r.t. α every
	// that many epochs and at the last (0: never).
	HessianEvery int `json:"hessian_every" yaml:"hessian_every"`

	// Method is darts or darts-es (stop when the eigenvalue's local average
	// grows by more than ES.Factor; search.EarlyStop, evaluated every
	// HessianEvery epochs); ESSimulate records where DARTS-ES would stop
	// but runs to the end.
	Method     string          `json:"method" yaml:"method"`
	ESSimulate bool            `json:"es_simulate" yaml:"es_simulate"`
	ES         search.ESConfig `json:"es" yaml:"es"`
}

// DefaultConfig is the reference search: 50 epochs, 300 units, batch 256,
// BPTT 35, SGD lr 20, clip 0.25, weight decay 5e-7, α by Adam (3e-3, weight
// decay 1e-3), TAR 1e-3, dropouts 0.75/0.25/0.75/0.2/0, first order, seed 2;
// method darts, with DARTS-ES' constants of the convolutional search
// (window 5, delta 4, factor 1.3, start epoch 10).
func DefaultConfig() Config {
	return Config{Space: Space, Seed: 2, Epochs: 50, Hidden: 300, BatchSize: 256, EvalBatch: 10, BPTT: 35, Order: 1,
		LR: 20, Clip: 0.25, WeightDecay: 5e-7, ArchLR: 3e-3, ArchWeightDecay: 1e-3, TAR: 1e-3,
		Dropout: 0.75, DropoutH: 0.25, DropoutX: 0.75, DropoutI: 0.2, DropoutE: 0,
		Method: "darts", ES: search.ESConfig{Window: 5, Delta: 4, Factor: 1.3, StartEpoch: 10}}
}

// Validate checks the settings, naming the flag of the first bad one.
func (c Config) Validate() error {
	if err := runfolder.Finite(c); err != nil {
		return err
	}
	switch {
	case c.Space != Space:
		return fmt.Errorf("space: a recurrent search has space %q, have %q", Space, c.Space)
	case c.Data == "":
		return fmt.Errorf("data: the PTB-format folder is required")
	case c.Epochs < 1:
		return fmt.Errorf("epochs: must be at least 1, have %d", c.Epochs)
	case c.Hidden < 1:
		return fmt.Errorf("hidden: must be at least 1, have %d", c.Hidden)
	case c.BatchSize < 1 || c.EvalBatch < 1:
		return fmt.Errorf("batch-size and eval-batch: must be at least 1, have %d and %d", c.BatchSize, c.EvalBatch)
	case c.BPTT < 2:
		return fmt.Errorf("bptt: must be at least 2, have %d", c.BPTT)
	case c.Order != 1 && c.Order != 2:
		return fmt.Errorf("order: must be 1 or 2, have %d", c.Order)
	case c.LR <= 0 || c.Clip <= 0 || c.ArchLR <= 0:
		return fmt.Errorf("lr, grad-clip and arch-lr: must be positive, have %v, %v, %v", c.LR, c.Clip, c.ArchLR)
	case c.WeightDecay < 0 || c.ArchWeightDecay < 0 || c.TAR < 0:
		return fmt.Errorf("weight-decay, arch-weight-decay and tar: must not be negative")
	case c.TrainTokens < 0 || c.ValidTokens < 0 || c.HessianEvery < 0:
		return fmt.Errorf("train-tokens, valid-tokens and hessian-every: must not be negative")
	case c.Method != "darts" && c.Method != "darts-es":
		return fmt.Errorf("method: darts or darts-es, have %q", c.Method)
	case c.Method == "darts-es" && c.HessianEvery == 0:
		return fmt.Errorf("hessian-every: method darts-es needs the eigenvalue: set it (the reference uses 2)")
	case c.ES.Window < 1 || c.ES.Delta < 1 || c.ES.Factor <= 0:
		return fmt.Errorf("es-window, es-delta and es-factor: must be at least 1, 1 and > 0")
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"dropout", c.Dropout}, {"dropouth", c.DropoutH}, {"dropoutx", c.DropoutX}, {"dropouti", c.DropoutI}, {"dropoute", c.DropoutE}} {
		if p.v < 0 || p.v >= 1 {
			return fmt.Errorf("%s: must be in [0, 1), have %v", p.name, p.v)
		}
	}
	return nil
}
