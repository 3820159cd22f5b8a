package search

import (
	"fmt"
	"strings"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/nn"
	"github.com/rdarts/rdarts/space"
)

// Config is everything that defines a search run (docs/method.md,
// Bilevel step). It is written
// to the run folder as config.json, and a run can be repeated from it.
// The zero value is not useful: start from Defaults.
type Config struct {
	Space   string `json:"space" yaml:"space"`
	Dataset string `json:"dataset" yaml:"dataset"`
	Data    string `json:"data" yaml:"data"` // folder of the dataset files
	// Method is darts, darts-es, darts-ada or rs-ws.
	Method    string `json:"method" yaml:"method"`
	Order     int    `json:"order" yaml:"order"` // 1 or 2
	Epochs    int    `json:"epochs" yaml:"epochs"`
	Layers    int    `json:"layers" yaml:"layers"`
	Channels  int    `json:"init_channels" yaml:"init_channels"`
	BatchSize int    `json:"batch_size" yaml:"batch_size"`
	// TrainSize keeps the first TrainSize training images before the 50/50
	// split (0 = all).
	TrainSize       int     `json:"train_size" yaml:"train_size"`
	LR              float64 `json:"lr" yaml:"lr"`
	LRMin           float64 `json:"lr_min" yaml:"lr_min"`
	Momentum        float64 `json:"momentum" yaml:"momentum"`
	WeightDecay     float64 `json:"weight_decay" yaml:"weight_decay"`
	ArchLR          float64 `json:"arch_lr" yaml:"arch_lr"`
	ArchWeightDecay float64 `json:"arch_weight_decay" yaml:"arch_weight_decay"`
	GradClip        float64 `json:"grad_clip" yaml:"grad_clip"`
	// DropPath is the maximum ScheduledDropPath probability (R-DARTS(DP)).
	DropPath float64 `json:"drop_path" yaml:"drop_path"`
	// Cutout enables cutout (length 16); like the reference it is only
	// active when DropPath > 0.
	Cutout bool   `json:"cutout" yaml:"cutout"`
	Seed   uint64 `json:"seed" yaml:"seed"`
	// Init is the weight initialisation: modern (the zero value, PyTorch
	// ≥ 1.0) or legacy (PyTorch 0.3.1, which the reference ran on).
	Init nn.Init `json:"init,omitempty" yaml:"init,omitempty"`

	// HessianEvery computes the dominant eigenvalue every K epochs and at
	// the last epoch (0 = never; DARTS-ES and DARTS-ADA need it).
	HessianEvery int  `json:"hessian_every" yaml:"hessian_every"`
	HessianExact bool `json:"hessian_exact" yaml:"hessian_exact"`
	// KeepCheckpoints keeps every epoch's checkpoint (checkpoint_<e>.gob)
	// for later analysis (rdarts hessian --epoch, rdarts analyze drop).
	KeepCheckpoints bool `json:"keep_checkpoints" yaml:"keep_checkpoints"`
	// ES holds DARTS-ES' constants (docs/method.md, DARTS-ES).
	ES ESConfig `json:"es" yaml:"es"`
	// ESSimulate records where DARTS-ES would stop but runs to the end.
	ESSimulate bool `json:"es_simulate" yaml:"es_simulate"`
	// ADA holds DARTS-ADA's constants (docs/method.md, DARTS-ADA).
	ADA ADAConfig `json:"ada" yaml:"ada"`
	// RSArchs and RSBatches configure RS-ws' final selection (docs/method.md, RS-ws).
	RSArchs   int `json:"rs_archs" yaml:"rs_archs"`
	RSBatches int `json:"rs_batches" yaml:"rs_batches"`
	// Member, when set, says the run is one member of an R-DARTS grid;
	// rdarts robust and grid set it, and reports read it.
	Member *Member `json:"r_darts,omitempty" yaml:"r_darts,omitempty"`
}

// Member is a run's place in an R-DARTS grid: the family (l2: weight
// decay, dp: drop path) and the regularisation value of this member.
type Member struct {
	Family string  `json:"family" yaml:"family"`
	Value  float64 `json:"value" yaml:"value"`
}

// MaxThreads bounds --threads: more goroutines than this only waste memory.
const MaxThreads = 256

// ESConfig are the constants of the DARTS-ES rule.
type ESConfig struct {
	Window     int     `json:"window" yaml:"window"`
	Delta      int     `json:"delta" yaml:"delta"`
	Factor     float64 `json:"factor" yaml:"factor"`
	StartEpoch int     `json:"start_epoch" yaml:"start_epoch"`
}

// ADAConfig are the constants of DARTS-ADA.
type ADAConfig struct {
	Factor float64 `json:"factor" yaml:"factor"`
	Max    float64 `json:"max" yaml:"max"`
}

// Defaults are the paper's full-scale settings (docs/method.md, Data and batches): 50 epochs, 8
// cells, 16 channels, batch 64, second order, as the reference's scripts;
// the dataset defaults to the one every installation has, Fashion-MNIST.
func Defaults() Config {
	return Config{
		Space: "s2", Dataset: "fashion-mnist", Method: "darts", Order: 2, Epochs: 50, Layers: 8, Channels: 16,
		BatchSize: 64, LR: 0.025, LRMin: 0.001, Momentum: 0.9, WeightDecay: 3e-4,
		ArchLR: 3e-4, ArchWeightDecay: 1e-3, GradClip: 5, Seed: 1,
		ES:      ESConfig{Window: 5, Delta: 4, Factor: 1.3, StartEpoch: 10},
		ADA:     ADAConfig{Factor: 10, Max: 0.03},
		RSArchs: 1000, RSBatches: 10,
	}
}

// Methods lists the accepted values of Method.
var Methods = []string{"darts", "darts-es", "darts-ada", "rs-ws"}

// Validate names the first bad field and what was expected.
func (c Config) Validate() error {
	bad := func(field string, format string, args ...any) error {
		return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
	}
	if err := runfolder.Finite(c); err != nil {
		return err
	}
	if _, err := space.Get(c.Space); err != nil {
		return bad("space", "%v", err)
	}
	if err := c.Init.Validate(); err != nil {
		return bad("init", "%v", err)
	}
	switch {
	case !contains(Methods, c.Method):
		return bad("method", "%q is not one of %s", c.Method, strings.Join(Methods, ", "))
	case c.Order != 1 && c.Order != 2:
		return bad("order", "must be 1 or 2, have %d", c.Order)
	case c.Epochs < 1:
		return bad("epochs", "must be at least 1, have %d", c.Epochs)
	case c.Layers < 1:
		return bad("layers", "must be at least 1, have %d", c.Layers)
	case c.Channels < 2 || c.Channels%2 != 0:
		return bad("init-channels", "must be an even number ≥ 2, have %d", c.Channels)
	case c.BatchSize < 2:
		return bad("batch-size", "must be at least 2 (batch norm needs it), have %d", c.BatchSize)
	case c.TrainSize < 0 || c.TrainSize == 1 || (c.TrainSize > 0 && c.TrainSize < 2*c.BatchSize):
		return bad("train-size", "must be 0 (all) or at least 2×batch-size = %d, have %d", 2*c.BatchSize, c.TrainSize)
	case c.LR <= 0 || c.LRMin < 0 || c.LRMin > c.LR:
		return bad("lr", "need 0 ≤ lr-min ≤ lr and lr > 0, have lr %g lr-min %g", c.LR, c.LRMin)
	case c.Momentum < 0 || c.Momentum >= 1:
		return bad("momentum", "must be in [0, 1), have %g", c.Momentum)
	case c.WeightDecay < 0 || c.ArchWeightDecay < 0:
		return bad("weight-decay", "must not be negative")
	case c.ArchLR <= 0:
		return bad("arch-lr", "must be positive, have %g", c.ArchLR)
	case c.GradClip <= 0:
		return bad("grad-clip", "must be positive, have %g", c.GradClip)
	case c.DropPath < 0 || c.DropPath >= 1:
		return bad("drop-path", "must be in [0, 1), have %g", c.DropPath)
	case c.HessianEvery < 0:
		return bad("hessian-every", "must not be negative, have %d", c.HessianEvery)
	case (c.Method == "darts-es" || c.Method == "darts-ada") && c.HessianEvery == 0:
		return bad("hessian-every", "method %s needs the eigenvalue: set it (the reference uses 2)", c.Method)
	case c.ES.Window < 1:
		return bad("es-window", "must be at least 1, have %d", c.ES.Window)
	case c.ES.Delta < 1:
		return bad("es-delta", "must be at least 1, have %d", c.ES.Delta)
	case c.ES.Factor <= 0:
		return bad("es-factor", "must be > 0, have %g", c.ES.Factor)
	case c.ADA.Factor <= 1:
		return bad("ada-factor", "must be > 1, have %g", c.ADA.Factor)
	case c.ADA.Max <= 0:
		return bad("ada-max", "must be > 0, have %g", c.ADA.Max)
	case c.Method == "darts-ada" && c.WeightDecay <= 0:
		return bad("weight-decay", "darts-ada multiplies it when the eigenvalue rises, so it must be > 0, have %g", c.WeightDecay)
	case c.ES.StartEpoch < 0:
		return bad("es-start-epoch", "must not be negative, have %d", c.ES.StartEpoch)
	case c.Member != nil && c.Member.Family != "l2" && c.Member.Family != "dp":
		return bad("r_darts.family", "%q is not l2 or dp", c.Member.Family)
	case c.Method == "rs-ws" && (c.RSArchs < 1 || c.RSBatches < 1):
		return bad("rs-archs", "RS-ws needs at least one architecture and one batch")
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
