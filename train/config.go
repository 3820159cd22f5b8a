package train

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/space"
)

// Config is everything that defines a training run (docs/method.md,
// Retraining). It is written
// to the run folder as config.json. Start from Defaults.
type Config struct {
	// Genotype is the architecture in DARTS notation.
	Genotype string `json:"genotype" yaml:"genotype"`
	// GenotypeSource is the file or search run folder the genotype was read
	// from, if any (reports match a retraining to its search by it).
	GenotypeSource string `json:"genotype_source,omitempty" yaml:"genotype_source,omitempty"`
	Dataset        string `json:"dataset" yaml:"dataset"`
	Data           string `json:"data" yaml:"data"` // folder of the dataset files
	Epochs         int    `json:"epochs" yaml:"epochs"`
	// Layers and Channels size the network; 0 means the dataset's default
	// (DefaultSize), filled in by NewRunner and recorded in config.json.
	Layers    int `json:"layers" yaml:"layers"`
	Channels  int `json:"init_channels" yaml:"init_channels"`
	BatchSize int `json:"batch_size" yaml:"batch_size"`
	// TrainSize keeps the first TrainSize training images (0 = all); the
	// test set is always used whole.
	TrainSize   int     `json:"train_size" yaml:"train_size"`
	LR          float64 `json:"lr" yaml:"lr"`
	LRMin       float64 `json:"lr_min" yaml:"lr_min"`
	Momentum    float64 `json:"momentum" yaml:"momentum"`
	WeightDecay float64 `json:"weight_decay" yaml:"weight_decay"`
	GradClip    float64 `json:"grad_clip" yaml:"grad_clip"`
	// Auxiliary adds the auxiliary tower; its loss enters with AuxWeight.
	Auxiliary bool    `json:"auxiliary" yaml:"auxiliary"`
	AuxWeight float64 `json:"auxiliary_weight" yaml:"auxiliary_weight"`
	// Cutout applies cutout of length 16 to training images.
	Cutout bool `json:"cutout" yaml:"cutout"`
	// DropPath is the final drop-path probability; epoch e of E uses
	// DropPath·e/E.
	DropPath float64 `json:"drop_path" yaml:"drop_path"`
	// Init is the weight initialisation: modern (the zero value) or legacy
	// (PyTorch 0.3.1's, the reference's).
	Init nn.Init `json:"init,omitempty" yaml:"init,omitempty"`
	// ValidFrom and ValidSize, when ValidSize > 0, evaluate on training
	// images [ValidFrom, ValidFrom+ValidSize) instead of the test set: a
	// held-out part that must not overlap the TrainSize images trained on.
	// R-DARTS selects its member this way, never looking at the test set.
	ValidFrom int    `json:"valid_from,omitempty" yaml:"valid_from,omitempty"`
	ValidSize int    `json:"valid_size,omitempty" yaml:"valid_size,omitempty"`
	Seed      uint64 `json:"seed" yaml:"seed"`
}

// Defaults are the evaluation protocol of docs/method.md (Retraining): 600 epochs, batch 96,
// SGD 0.025 with cosine decay to 0, momentum 0.9, weight decay 3e-4, clip 5,
// auxiliary tower with weight 0.4, cutout, drop path 0.2, and the network
// size of the dataset (Layers and Channels 0).
func Defaults() Config {
	return Config{
		Dataset: "cifar10", Epochs: 600, BatchSize: 96, LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4,
		GradClip: 5, Auxiliary: true, AuxWeight: 0.4, Cutout: true, DropPath: 0.2, Seed: 1,
	}
}

// DefaultSize is the network size of the paper's protocol for a dataset:
// 20 cells of 36 channels for CIFAR-10 (as DARTS), 8 cells of 16 channels
// for the others (docs/method.md, Retraining).
func DefaultSize(dataset string) (layers, channels int) {
	if dataset == "cifar10" {
		return 20, 36
	}
	return 8, 16
}

// Resolved fills the dataset-dependent defaults (network size, data
// folder), as config.json records them.
func (c Config) Resolved() Config {
	l, ch := DefaultSize(c.Dataset)
	if c.Layers == 0 {
		c.Layers = l
	}
	if c.Channels == 0 {
		c.Channels = ch
	}
	if c.Data == "" {
		c.Data = data.DefaultDir(c.Dataset)
	}
	return c
}

// EvalSet names the images a run evaluates on: "test", or "train[a:b]"
// for held-out training images.
func (c Config) EvalSet() string {
	if c.ValidSize > 0 {
		return fmt.Sprintf("train[%d:%d]", c.ValidFrom, c.ValidFrom+c.ValidSize)
	}
	return "test"
}

// Validate names the first bad field and what was expected.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
	}
	if err := runfolder.Finite(c); err != nil {
		return err
	}
	if _, err := space.Parse(c.Genotype); err != nil {
		return bad("genotype", "%v", err)
	}
	if err := c.Init.Validate(); err != nil {
		return bad("init", "%v", err)
	}
	switch {
	case !contains(data.Names, c.Dataset):
		return bad("dataset", "%q is not one of %s", c.Dataset, strings.Join(data.Names, ", "))
	case c.Epochs < 1:
		return bad("epochs", "must be at least 1, have %d", c.Epochs)
	case c.Layers < 0:
		return bad("layers", "must be positive (0 = the dataset's default), have %d", c.Layers)
	case c.Channels < 0:
		return bad("init-channels", "must be positive (0 = the dataset's default), have %d", c.Channels)
	case c.BatchSize < 2:
		return bad("batch-size", "must be at least 2 (batch norm needs it), have %d", c.BatchSize)
	case c.TrainSize < 0 || (c.TrainSize > 0 && c.TrainSize < c.BatchSize):
		return bad("train-size", "must be 0 (all) or at least batch-size = %d, have %d", c.BatchSize, c.TrainSize)
	case c.LR <= 0 || c.LRMin < 0 || c.LRMin > c.LR:
		return bad("lr", "need 0 ≤ lr-min ≤ lr and lr > 0, have lr %g lr-min %g", c.LR, c.LRMin)
	case c.Momentum < 0 || c.Momentum >= 1:
		return bad("momentum", "must be in [0, 1), have %g", c.Momentum)
	case c.WeightDecay < 0:
		return bad("weight-decay", "must not be negative, have %g", c.WeightDecay)
	case c.GradClip <= 0:
		return bad("grad-clip", "must be positive, have %g", c.GradClip)
	case c.AuxWeight < 0:
		return bad("auxiliary-weight", "must not be negative, have %g", c.AuxWeight)
	case c.DropPath < 0 || c.DropPath >= 1:
		return bad("drop-path", "must be in [0, 1), have %g", c.DropPath)
	case c.ValidSize < 0 || c.ValidFrom < 0:
		return bad("valid-size", "valid-from and valid-size must not be negative")
	case c.ValidSize > 0 && (c.TrainSize == 0 || c.ValidFrom < c.TrainSize):
		return bad("valid-from", "the held-out images [%d, %d) overlap the first %d training images (train-size; 0 = all) the network trains on",
			c.ValidFrom, c.ValidFrom+c.ValidSize, c.TrainSize)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ResolveGenotype reads a genotype given on the command line: a search run
// folder (its genotype.txt), a file holding one, or the DARTS notation
// itself. It returns the genotype and where it came from.
func ResolveGenotype(arg string) (space.Genotype, string, error) {
	src, from := arg, "the command line"
	if st, err := os.Stat(arg); err == nil {
		path := arg
		if st.IsDir() {
			path = filepath.Join(arg, "genotype.txt")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return space.Genotype{}, "", fmt.Errorf("genotype: %w", err)
		}
		src, from = strings.TrimSpace(string(b)), path
	} else if !strings.Contains(arg, "(") {
		return space.Genotype{}, "", fmt.Errorf("genotype: %q is neither a file, a run folder nor a genotype in DARTS notation", arg)
	}
	g, err := space.Parse(src)
	if err != nil {
		return space.Genotype{}, "", fmt.Errorf("genotype from %s: %w", from, err)
	}
	return g, from, nil
}
