package main

import (
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rdarts/rdarts/data"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/internal/settings"
	"github.com/rdarts/rdarts/rnnsearch"
	"github.com/rdarts/rdarts/search"
)

type searchOptions struct {
	cfg    search.Config
	config string
	out    string
	resume bool
	force  bool
}

// bindSearchFlags binds every field of a search config to a flag; it is
// also used to replay command-line flags over a config file.
func bindSearchFlags(fs *pflag.FlagSet, c *search.Config) {
	fs.StringVar(&c.Space, "space", c.Space, "search space: darts, s1, s2, s3, s4, s5, or rnn (the recurrent cell of language modelling)")
	fs.StringVar(&c.Dataset, "dataset", c.Dataset, "fashion-mnist, mnist, cifar10, cifar100 or svhn")
	fs.StringVar(&c.Data, "data", c.Data, "folder holding the dataset files (default: the Debian package's folder for fashion-mnist)")
	fs.StringVar(&c.Method, "method", c.Method, "darts, darts-es, darts-ada or rs-ws")
	fs.IntVar(&c.Order, "order", c.Order, "1 (first-order DARTS) or 2 (second order, unrolled)")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "search epochs")
	fs.IntVar(&c.Layers, "layers", c.Layers, "cells in the one-shot network")
	fs.IntVar(&c.Channels, "init-channels", c.Channels, "channels of the first cells")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "batch size of both the w and the α steps")
	fs.IntVar(&c.TrainSize, "train-size", c.TrainSize, "use the first N training images before the 50/50 split (0 = all)")
	fs.Float64Var(&c.LR, "lr", c.LR, "initial learning rate of w (cosine schedule)")
	fs.Float64Var(&c.LRMin, "lr-min", c.LRMin, "final learning rate of w")
	fs.Float64Var(&c.Momentum, "momentum", c.Momentum, "SGD momentum of w")
	fs.Float64Var(&c.WeightDecay, "weight-decay", c.WeightDecay, "L2 weight decay of w (R-DARTS(L2) raises it)")
	fs.Float64Var(&c.ArchLR, "arch-lr", c.ArchLR, "Adam learning rate of α")
	fs.Float64Var(&c.ArchWeightDecay, "arch-weight-decay", c.ArchWeightDecay, "L2 weight decay of α")
	fs.Float64Var(&c.GradClip, "grad-clip", c.GradClip, "clip the w gradient's norm to this")
	fs.Float64Var(&c.DropPath, "drop-path", c.DropPath, "maximum ScheduledDropPath probability (R-DARTS(DP))")
	fs.BoolVar(&c.Cutout, "cutout", c.Cutout, "cutout 16 on training images (active only with --drop-path > 0, as the reference)")
	fs.Var(&c.Init, "init", "weight initialisation: modern (PyTorch ≥ 1.0: conv fan-in per group, BN γ = 1) or legacy (PyTorch 0.3.1, the reference's: conv fan-in over all input channels, BN γ ~ U(0,1))")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "random seed")
	fs.IntVar(&c.HessianEvery, "hessian-every", c.HessianEvery, "dominant Hessian eigenvalue every K epochs and at the last (0 = never)")
	fs.BoolVar(&c.HessianExact, "hessian-exact", c.HessianExact, "full Hessian and its spectrum instead of Lanczos")
	fs.BoolVar(&c.KeepCheckpoints, "keep-checkpoints", c.KeepCheckpoints, "keep every epoch's checkpoint (for rdarts hessian --epoch and analyze drop)")
	fs.BoolVar(&c.ESSimulate, "es-simulate", c.ESSimulate, "DARTS-ES: record where it would stop but run to the end")
	fs.IntVar(&c.ES.Window, "es-window", c.ES.Window, "DARTS-ES: eigenvalues per local average")
	fs.IntVar(&c.ES.Delta, "es-delta", c.ES.Delta, "DARTS-ES: look-back in local averages")
	fs.Float64Var(&c.ES.Factor, "es-factor", c.ES.Factor, "DARTS-ES: stop when the average grew by more than this factor")
	fs.IntVar(&c.ES.StartEpoch, "es-start-epoch", c.ES.StartEpoch, "DARTS-ES: earliest stop epoch")
	fs.Float64Var(&c.ADA.Factor, "ada-factor", c.ADA.Factor, "DARTS-ADA: weight decay multiplier η")
	fs.Float64Var(&c.ADA.Max, "ada-max", c.ADA.Max, "DARTS-ADA: maximum weight decay")
}

func newCmdSearch(g *globals) *cobra.Command {
	o := &searchOptions{cfg: search.Defaults()}
	cmd := &cobra.Command{
		Use:   "search",
		Short: "Run a DARTS / RobustDARTS architecture search",
		Long: `Search a cell architecture with bilevel DARTS (docs/method.md, Bilevel step) and write a run folder:
config.json, metrics.jsonl (one JSON object per epoch), genotype.txt, result.json and
checkpoints. Defaults are the paper's full-scale settings; --config FILE (YAML or JSON)
supplies any field, flags given on the command line override it.

--space rnn searches the recurrent cell of DARTS' language-modelling space on a PTB-format
corpus (--data; docs/recurrent.md): per epoch training and validation perplexity, genotype,
softmax(α) and the eigenvalue. Its defaults are the reference's recurrent search (300 units,
batch 256, BPTT 35, SGD lr 20, grad clip 0.25, weight decay 5e-7, α by Adam 3e-3), not the
values shown below; the flags marked "recurrent space" are its own, and a flag of the
convolutional spaces only (--layers, --dataset, ...) is refused.`,
		Example: `  rdarts search --dataset fashion-mnist --space s2 --epochs 10 --layers 5 --init-channels 8 \
      --train-size 2000 --order 1 --hessian-every 2 --out runs/demo
  rdarts search --out runs/demo --resume
  rdarts search --space rnn --data data/kjv --epochs 2 --hidden 64 --batch-size 32 \
      --train-tokens 100000 --valid-tokens 20000 --hessian-every 1 --out runs/rnn`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			given := flagValues(cmd.Flags())
			if o.recurrent(given) {
				return runRNNSearch(cmd, g, o, given)
			}
			var rnn rnnsearch.Config
			err := refuseForeign(given, func(fs *pflag.FlagSet) { d := o.cfg; bindSearchFlags(fs, &d) },
				func(fs *pflag.FlagSet) { bindRNNSearchFlags(fs, &rnn) }, "the convolutional spaces (only --space rnn has it)")
			if err != nil {
				return err
			}
			if o.resume {
				// The run's own settings, with what was given over them:
				// Start refuses any that differ.
				saved, err := search.LoadConfig(o.out)
				if err != nil {
					return fmt.Errorf("--resume: %w", err)
				}
				o.cfg = saved
				err = overlay(o.config, given, &o.cfg, func(fs *pflag.FlagSet) { bindSearchFlags(fs, &o.cfg) })
				if err != nil {
					return err
				}
			} else if o.config != "" {
				cfg, err := loadConfig(o.config, cmd.Flags())
				if err != nil {
					return err
				}
				o.cfg = cfg
			}
			return runSearch(cmd, g, o)
		},
	}
	bindSearchFlags(cmd.Flags(), &o.cfg)
	rnn := rnnsearch.DefaultConfig() // parsed here, read by rnnSearchConfig from the flags given
	bindRNNOnlySearchFlags(cmd.Flags(), &rnn)
	cmd.Flags().StringVar(&o.config, "config", "", "YAML or JSON file with search settings (flags override it)")
	cmd.Flags().StringVar(&o.out, "out", "runs/search", "run folder")
	cmd.Flags().BoolVar(&o.resume, "resume", false, "continue the run in --out from its last checkpoint (the same settings, or none, may be given)")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace the run --out holds (its files are deleted)")
	cmd.MarkFlagsMutuallyExclusive("resume", "force")
	return cmd
}

// recurrent reports whether the command line asks for a recurrent search:
// the run to resume is one, or else (no run there) --space or the config
// file names rnn.
func (o *searchOptions) recurrent(given givenFlags) bool {
	if o.resume && runfolder.Resumable(o.out) {
		return rnnsearch.IsRun(o.out)
	}
	if sp, ok := given["space"]; ok {
		return isRecurrent(sp)
	}
	return o.config != "" && isRecurrent(configSpace(o.config))
}

// loadConfig reads a config file over the defaults, then replays the flags
// the user gave, so the command line wins.
func loadConfig(path string, given *pflag.FlagSet) (search.Config, error) {
	c := search.Defaults()
	err := decodeConfig(path, flagValues(given), &c, func(fs *pflag.FlagSet) { bindSearchFlags(fs, &c) })
	return c, err
}

// decodeConfig decodes a YAML or JSON file strictly into dst (already
// holding the defaults; keys or flag names, see package settings), then
// sets again every flag given on the command
// line through bind, which binds the same flags to dst.
func decodeConfig(path string, given givenFlags, dst any, bind func(*pflag.FlagSet)) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return usageErr("--config: %v", err)
	}
	if err := settings.Decode(b, dst, "not a setting (docs/settings.md lists them)"); err != nil {
		return usageErr("--config %s: %v", path, err)
	}
	return replayFlags(given, bind)
}

// overlay applies a config file (if path is set) and the flags given on
// the command line onto dst.
func overlay(path string, given givenFlags, dst any, bind func(*pflag.FlagSet)) error {
	if path != "" {
		return decodeConfig(path, given, dst, bind)
	}
	return replayFlags(given, bind)
}

// givenFlags are the flags given on the command line, name → value, read
// before the settings they are bound to are replaced (by a saved run's).
type givenFlags map[string]string

func flagValues(fs *pflag.FlagSet) givenFlags {
	g := givenFlags{}
	fs.Visit(func(f *pflag.Flag) { g[f.Name] = f.Value.String() })
	return g
}

// replayFlags sets again, through bind, every flag given on the command
// line, in name order.
func replayFlags(given givenFlags, bind func(*pflag.FlagSet)) error {
	replay := pflag.NewFlagSet("replay", pflag.ContinueOnError)
	bind(replay)
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if replay.Lookup(name) != nil {
			if err := replay.Set(name, given[name]); err != nil {
				return usageErr("--%s: %v", name, err)
			}
		}
	}
	return nil
}

// resolveData fills in the default data folder of a dataset.
func resolveData(dataset, dir string) string {
	if dir != "" {
		return dir
	}
	return data.DefaultDir(dataset)
}

func runSearch(cmd *cobra.Command, g *globals, o *searchOptions) error {
	k, err := g.kernels()
	if err != nil {
		return err
	}
	log := g.logger()
	cfg := o.cfg
	if err := cfg.Validate(); err != nil {
		return usageErr("--%v", err)
	}
	cfg.Data = resolveData(cfg.Dataset, cfg.Data)
	if cfg.Data == "" {
		return usageErr("--data: dataset %s needs the folder holding its files", cfg.Dataset)
	}
	r, err := search.NewRunner(cfg, o.out, k, log)
	if err != nil {
		return err
	}
	r.Progress, r.Force = newProgress(g.stderr, log), o.force
	if err := r.Start(o.resume); err != nil {
		return err
	}
	log.Info("search", "space", cfg.Space, "dataset", cfg.Dataset, "method", cfg.Method, "order", cfg.Order,
		"epochs", cfg.Epochs, "w_params", r.Network().W.Count(), "backend", k.Name(), "out", o.out)
	if err := r.Run(cmd.Context()); err != nil {
		return err
	}
	m, _ := r.Final()
	fmt.Fprintf(g.stdout, "genotype (epoch %d, valid acc %.2f%%):\n%s\n\nrun folder: %s (metrics.jsonl, genotype.txt, result.json)\n",
		m.Epoch, m.ValidAcc, m.Genotype, o.out)
	return nil
}
