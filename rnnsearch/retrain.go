package rnnsearch

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/rnnnet"
	"github.com/rdarts/rdarts/space"
)

// RetrainConfig is a recurrent genotype's retraining, as its config.json
// holds it. DefaultRetrainConfig gives the reference's (DARTS rnn/train.py).
type RetrainConfig struct {
	Space    string `json:"space" yaml:"space"`       // "rnn": what marks a recurrent run folder (IsRun)
	Genotype string `json:"genotype" yaml:"genotype"` // DARTS notation
	Data     string `json:"data" yaml:"data"`
	Seed     uint64 `json:"seed" yaml:"seed"`

	Epochs      int     `json:"epochs" yaml:"epochs"`
	Hidden      int     `json:"hidden" yaml:"hidden"`
	BatchSize   int     `json:"batch_size" yaml:"batch_size"`
	EvalBatch   int     `json:"eval_batch" yaml:"eval_batch"`
	TestBatch   int     `json:"test_batch" yaml:"test_batch"`
	BPTT        int     `json:"bptt" yaml:"bptt"`
	LR          float64 `json:"lr" yaml:"lr"`
	Clip        float64 `json:"grad_clip" yaml:"grad_clip"`
	WeightDecay float64 `json:"weight_decay" yaml:"weight_decay"`
	TAR         float64 `json:"tar" yaml:"tar"`
	NonMono     int     `json:"nonmono" yaml:"nonmono"`

	Dropout  float64 `json:"dropout" yaml:"dropout"`
	DropoutH float64 `json:"dropouth" yaml:"dropouth"`
	DropoutX float64 `json:"dropoutx" yaml:"dropoutx"`
	DropoutI float64 `json:"dropouti" yaml:"dropouti"`
	DropoutE float64 `json:"dropoute" yaml:"dropoute"`

	TrainTokens int `json:"train_tokens" yaml:"train_tokens"` // 0: all
	ValidTokens int `json:"valid_tokens" yaml:"valid_tokens"`
	TestTokens  int `json:"test_tokens" yaml:"test_tokens"`
}

// DefaultRetrainConfig is the reference's evaluation protocol: 850 units,
// batch 64 (validation 10, test 1), BPTT 35, SGD lr 20 switching to ASGD
// (non-monotone interval 5), clip 0.25, weight decay 8e-7, TAR 1e-3,
// dropouts 0.75/0.25/0.75/0.2/0, seed 1267; the reference's 8000 epochs are
// an "until stopped" bound, the paper's runs are far shorter: 8000 is kept.
func DefaultRetrainConfig() RetrainConfig {
	return RetrainConfig{Space: Space, Seed: 1267, Epochs: 8000, Hidden: 850, BatchSize: 64, EvalBatch: 10, TestBatch: 1, BPTT: 35,
		LR: 20, Clip: 0.25, WeightDecay: 8e-7, TAR: 1e-3, NonMono: 5,
		Dropout: 0.75, DropoutH: 0.25, DropoutX: 0.75, DropoutI: 0.2}
}

// Validate checks the settings, naming the flag of the first bad one.
func (c RetrainConfig) Validate() error {
	if err := runfolder.Finite(c); err != nil {
		return err
	}
	g, err := space.ParseRNN(c.Genotype)
	switch {
	case c.Space != Space:
		return fmt.Errorf("space: a recurrent retraining has space %q, have %q", Space, c.Space)
	case err != nil:
		return fmt.Errorf("genotype: %w", err)
	case g.Validate() != nil:
		return fmt.Errorf("genotype: %w", g.Validate())
	case c.Data == "":
		return fmt.Errorf("data: the PTB-format folder is required")
	case c.BPTT < 2:
		return fmt.Errorf("bptt: must be at least 2, have %d", c.BPTT)
	case c.LR <= 0 || c.Clip <= 0:
		return fmt.Errorf("lr and grad-clip: must be positive")
	case c.WeightDecay < 0 || c.TAR < 0 || c.TrainTokens < 0 || c.ValidTokens < 0 || c.TestTokens < 0:
		return fmt.Errorf("weight-decay, tar and the token counts: must not be negative")
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"epochs", c.Epochs}, {"hidden", c.Hidden}, {"batch-size", c.BatchSize}, {"eval-batch", c.EvalBatch}, {"test-batch", c.TestBatch}, {"nonmono", c.NonMono}} {
		if p.v < 1 {
			return fmt.Errorf("%s: must be at least 1, have %d", p.name, p.v)
		}
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

// RetrainMetrics is one retraining epoch in metrics.jsonl.
type RetrainMetrics struct {
	rnnnet.TrainEpoch
	TrainPPL float64 `json:"train_ppl"`
	ValidPPL float64 `json:"valid_ppl"`
}

// RetrainOutcome is a finished retraining's result.json: the best weights'
// validation and test perplexity.
type RetrainOutcome struct {
	Genotype  string  `json:"genotype"`
	BestEpoch int     `json:"best_epoch"`
	ValidLoss float64 `json:"valid_loss"`
	ValidPPL  float64 `json:"valid_ppl"`
	TestLoss  float64 `json:"test_loss"`
	TestPPL   float64 `json:"test_ppl"`
}

// ResolveRNNGenotype reads a recurrent genotype given on the command line:
// a search run folder (its genotype.txt), a file holding one, DARTS_V1 or
// DARTS_V2, or the DARTS notation itself.
func ResolveRNNGenotype(arg string) (space.RNNGenotype, error) {
	switch arg {
	case "DARTS_V1":
		return space.RNNDARTSV1, nil
	case "DARTS_V2", "DARTS":
		return space.RNNDARTSV2, nil
	}
	src, from, err := genotypeText(arg)
	if err != nil {
		return space.RNNGenotype{}, err
	}
	g, err := space.ParseRNN(src)
	if err != nil {
		return space.RNNGenotype{}, fmt.Errorf("genotype from %s: %w", from, err)
	}
	return g, nil
}

// IsRNNGenotype reports whether a --genotype argument is meant as a
// recurrent genotype: DARTS_V1, DARTS_V2, a recurrent run folder, or a
// text (itself, the file or the run folder's genotype.txt) with a
// recurrent= list. A malformed one
// still counts, so that its error is the recurrent parser's.
func IsRNNGenotype(arg string) bool {
	switch arg {
	case "DARTS_V1", "DARTS_V2", "DARTS":
		return true
	}
	if IsRun(arg) { // a recurrent search folder, finished or not
		return true
	}
	src, _, err := genotypeText(arg)
	return err == nil && strings.Contains(src, "recurrent")
}

// genotypeText is the genotype text an argument gives and where it came
// from: a run folder's genotype.txt, a file, or the argument itself.
func genotypeText(arg string) (src, from string, err error) {
	if st, err := os.Stat(arg); err == nil {
		path := arg
		if st.IsDir() {
			path = filepath.Join(arg, runfolder.GenotypeFile)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", "", fmt.Errorf("genotype: %w", err)
		}
		return strings.TrimSpace(string(b)), path, nil
	} else if !strings.Contains(arg, "(") {
		return "", "", fmt.Errorf("genotype: %q is neither a file, a run folder, DARTS_V1/DARTS_V2 nor a genotype in DARTS notation", arg)
	}
	return arg, "the command line", nil
}
