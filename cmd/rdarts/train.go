package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rdarts/rdarts/analysis"
	"github.com/rdarts/rdarts/internal/atomicfile"
	"github.com/rdarts/rdarts/internal/parallel"
	"github.com/rdarts/rdarts/rnnsearch"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/train"
)

type trainOptions struct {
	cfg      train.Config
	genotype string
	config   string
	out      string
	resume   bool
	force    bool
}

// bindTrainFlags binds the budget fields of a training config to flags (all
// but the genotype, which is resolved apart); it is also used to replay
// command-line flags over a config file.
func bindTrainFlags(fs *pflag.FlagSet, c *train.Config, withSeed bool) {
	fs.StringVar(&c.Dataset, "dataset", c.Dataset, "fashion-mnist, mnist, cifar10, cifar100 or svhn")
	fs.StringVar(&c.Data, "data", c.Data, "folder holding the dataset files (default: the Debian package's folder for fashion-mnist)")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "training epochs")
	fs.IntVar(&c.Layers, "layers", c.Layers, "cells (0 = 20 for cifar10, 8 otherwise)")
	fs.IntVar(&c.Channels, "init-channels", c.Channels, "channels of the first cells (0 = 36 for cifar10, 16 otherwise)")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "batch size")
	fs.IntVar(&c.TrainSize, "train-size", c.TrainSize, "train on the first N training images only (0 = all), for quick runs")
	fs.Float64Var(&c.LR, "lr", c.LR, "initial learning rate (cosine schedule, stepped before each epoch as the reference)")
	fs.Float64Var(&c.LRMin, "lr-min", c.LRMin, "final learning rate")
	fs.Float64Var(&c.Momentum, "momentum", c.Momentum, "SGD momentum")
	fs.Float64Var(&c.WeightDecay, "weight-decay", c.WeightDecay, "L2 weight decay")
	fs.Float64Var(&c.GradClip, "grad-clip", c.GradClip, "clip the gradient's norm to this")
	fs.BoolVar(&c.Auxiliary, "auxiliary", c.Auxiliary, "auxiliary tower on cell 2L/3 (--auxiliary=false to leave it out)")
	fs.Float64Var(&c.AuxWeight, "auxiliary-weight", c.AuxWeight, "weight of the auxiliary loss")
	fs.BoolVar(&c.Cutout, "cutout", c.Cutout, "cutout 16 on training images (--cutout=false to turn off)")
	fs.Float64Var(&c.DropPath, "drop-path", c.DropPath, "final drop-path probability (epoch e of E uses p·e/E; identity ops are never dropped)")
	fs.Var(&c.Init, "init", "weight initialisation: modern (PyTorch ≥ 1.0: conv fan-in per group, BN γ = 1) or legacy (PyTorch 0.3.1, the reference's: conv fan-in over all input channels, BN γ ~ U(0,1))")
	if withSeed {
		fs.Uint64Var(&c.Seed, "seed", c.Seed, "random seed (weights, data order, augmentation, drop path)")
	}
}

func newCmdTrain(g *globals) *cobra.Command {
	o := &trainOptions{cfg: train.Defaults()}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Retrain a genotype from scratch (the evaluation protocol)",
		Long: `Train the evaluation network of a genotype from scratch (docs/method.md, Retraining) on the whole training set,
test it on the test set after every epoch, and write a run folder: config.json, metrics.jsonl
(one JSON object per epoch), result.json (the last epoch's test error, the number the paper
reports, and the parameter count) and checkpoint.gob (written after every epoch; Ctrl-C
checkpoints too, --resume continues bit-identically).

--genotype is a genotype in DARTS notation, a file holding one, or a search run folder (its
genotype.txt). Defaults are the protocol: 600 epochs, batch 96, SGD 0.025 with cosine decay
to 0, momentum 0.9, weight decay 3e-4, clip 5, auxiliary tower (weight 0.4), cutout 16, drop
path 0.2; 20 cells of 36 channels for cifar10 and 8 of 16 otherwise. --config FILE (YAML or
JSON) supplies any field; flags given on the command line override it.

A recurrent genotype (Genotype(recurrent=[...]), a recurrent search's folder, DARTS_V1 or
DARTS_V2) is retrained as DARTS' rnn/train.py does on a PTB-format corpus (--data): 850 units,
batch 64, SGD lr 20 switching to averaged SGD when the validation loss stops improving, grad
clip 0.25, weight decay 8e-7 (those defaults, not the values shown below); the best weights'
validation and test perplexity go to result.json. It checkpoints and resumes as above; the
flags marked "recurrent space" are its own, and a flag of the convolutional training only
(--layers, --dataset, ...) is refused.`,
		Example: `  rdarts train --genotype runs/demo --dataset fashion-mnist --epochs 20 --layers 5 \
      --init-channels 8 --train-size 5000 --out runs/demo-train
  rdarts train --genotype "Genotype(normal=[('sep_conv_3x3', 0), ...], ...)" --out runs/t
  rdarts train --out runs/demo-train --resume
  rdarts train --genotype runs/rnn --data data/kjv --epochs 3 --hidden 200 --train-tokens 200000 \
      --out runs/rnn-train`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			given := flagValues(cmd.Flags())
			if o.recurrent() {
				return runRNNTrain(cmd, g, o, given)
			}
			var rnn rnnsearch.RetrainConfig
			err := refuseForeign(given, func(fs *pflag.FlagSet) { d := o.cfg; bindTrainFlags(fs, &d, true) },
				func(fs *pflag.FlagSet) { bindRNNTrainFlags(fs, &rnn) }, "the convolutional spaces (only a recurrent genotype has it)")
			if err != nil {
				return err
			}
			if o.resume {
				// The run's own settings, with what was given over them:
				// Start refuses any that differ.
				saved, err := train.LoadConfig(o.out)
				if err != nil {
					return fmt.Errorf("--resume: %w", err)
				}
				o.cfg = saved
				err = overlay(o.config, given, &o.cfg, func(fs *pflag.FlagSet) { bindTrainFlags(fs, &o.cfg, true) })
				if err != nil {
					return err
				}
			} else if o.config != "" {
				cfg, err := loadTrainConfig(o.config, cmd.Flags())
				if err != nil {
					return err
				}
				o.cfg = cfg
			}
			return runTrain(cmd, g, o)
		},
	}
	bindTrainFlags(cmd.Flags(), &o.cfg, true)
	rnn := rnnsearch.DefaultRetrainConfig() // parsed here, read by rnnTrainConfig from the flags given
	bindRNNOnlyTrainFlags(cmd.Flags(), &rnn)
	cmd.Flags().StringVar(&o.genotype, "genotype", "", "genotype in DARTS notation, a file holding one, or a search run folder; recurrent ones too, and DARTS_V1 or DARTS_V2 (the recurrent cells of DARTS)")
	cmd.Flags().StringVar(&o.config, "config", "", "YAML or JSON file with training settings (flags override it)")
	cmd.Flags().StringVar(&o.out, "out", "runs/train", "run folder")
	cmd.Flags().BoolVar(&o.resume, "resume", false, "continue the run in --out from its last checkpoint (the same settings, or none, may be given)")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace the run --out holds (its files are deleted)")
	cmd.MarkFlagsMutuallyExclusive("resume", "force")
	return cmd
}

// loadTrainConfig reads a config file over the defaults; flags win.
func loadTrainConfig(path string, given *pflag.FlagSet) (train.Config, error) {
	c := train.Defaults()
	err := decodeConfig(path, flagValues(given), &c, func(fs *pflag.FlagSet) { bindTrainFlags(fs, &c, true) })
	return c, err
}

func runTrain(cmd *cobra.Command, g *globals, o *trainOptions) error {
	k, err := g.kernels()
	if err != nil {
		return err
	}
	log := g.logger()
	cfg := o.cfg
	if o.genotype != "" {
		gt, from, err := train.ResolveGenotype(o.genotype)
		if err != nil {
			return usageErr("--genotype: %v", err)
		}
		cfg.Genotype, cfg.GenotypeSource = gt.String(), ""
		if from != "the command line" {
			cfg.GenotypeSource = from
		}
	}
	if cfg.Genotype == "" {
		return usageErr("--genotype: give the architecture to train (DARTS notation, a file, or a search run folder)")
	}
	cfg.Data = resolveData(cfg.Dataset, cfg.Data)
	if cfg.Data == "" {
		return usageErr("--data: dataset %s needs the folder holding its files", cfg.Dataset)
	}
	if err := cfg.Validate(); err != nil {
		return usageErr("--%v", err)
	}
	if cfg.GenotypeSource != "" {
		log.Info("genotype", "from", cfg.GenotypeSource)
	}
	r, err := train.NewRunner(cfg, o.out, k, log)
	if err != nil {
		return err
	}
	r.Progress, r.Force = newProgress(g.stderr, log), o.force
	if err := r.Start(o.resume); err != nil {
		return err
	}
	main, aux := r.Network().ParamCount()
	log.Info("train", "dataset", r.Cfg.Dataset, "layers", r.Cfg.Layers, "init_channels", r.Cfg.Channels, "epochs", r.Cfg.Epochs,
		"params", main, "params_aux", aux, "backend", k.Name(), "out", o.out)
	if err := r.Run(cmd.Context()); err != nil {
		return err
	}
	res, _ := r.Result()
	fmt.Fprintf(g.stdout, "test error (last epoch %d): %.2f%%, %.6f M parameters (+%d in the auxiliary head)\nrun folder: %s (metrics.jsonl, result.json)\n",
		res.Epochs-1, res.TestError, res.ParamSizeMB, res.ParamsAux, o.out)
	return nil
}

type dropOptions struct {
	analysis.DropOptions
	out string
}

func newCmdAnalyzeDrop(g *globals) *cobra.Command {
	o := &dropOptions{}
	cmd := &cobra.Command{
		Use:   "drop RUN_DIR",
		Short: "Discretization accuracy drop of a search run's one-shot network",
		Long: `Evaluate a search run's one-shot network on its validation split, with the checkpoint's weights,
(a) with its continuous α and (b) with α discretised to its genotype (one-hot; the edges the
genotype drops are not computed), and print both accuracies and the drop (a − b, in points) as
one JSON object — the quantity RobustDARTS relates to the dominant eigenvalue.

Both use eval mode, so batch norm uses the running statistics collected while training the
continuous mixture; the discretised network is not recalibrated (the paper evaluates it the
same way). By default the validation images get the search's own transform, as the reference
validates, so (a) equals metrics.jsonl's valid_acc; --clean uses the test transform instead.
--epoch E needs the end of epoch E in checkpoint.gob or a checkpoint_E.gob (search
--keep-checkpoints keeps them).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := convolutionalRun(args[0], cmd.CommandPath()); err != nil {
				return err
			}
			k, err := g.kernels()
			if err != nil {
				return err
			}
			d, err := analysis.MeasureDrop(args[0], o.DropOptions, k, g.logger())
			if err != nil {
				return err
			}
			b, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				return err
			}
			b = append(b, '\n')
			if o.out != "" {
				if err := atomicfile.Write(o.out, b); err != nil {
					return err
				}
			}
			_, err = g.stdout.Write(b)
			return err
		},
	}
	cmd.Flags().IntVar(&o.Epoch, "epoch", -1, "epoch whose end to evaluate (default: the last finished one)")
	cmd.Flags().StringVar(&o.Data, "data", "", "dataset folder, overriding the run's config.json")
	cmd.Flags().BoolVar(&o.Clean, "clean", false, "evaluate with the test transform instead of the search's")
	cmd.Flags().StringVar(&o.out, "out", "", "also write the JSON to this file")
	return cmd
}

type exhaustiveOptions struct {
	cfg     train.ExhaustiveConfig
	config  string
	out     string
	resume  bool
	workers int
	seeds   []uint
	rank    string
	noTrain bool
}

func newCmdExhaustive(g *globals) *cobra.Command {
	o := &exhaustiveOptions{cfg: train.ExhaustiveConfig{Space: "s5", Train: train.Defaults()}}
	cmd := &cobra.Command{
		Use:   "exhaustive",
		Short: "Train every architecture of a small space (ground truth, e.g. the 81 of S5)",
		Long: `Train every architecture of a search space (space.Enumerate's order; 81 for s5) from scratch
with one budget and each --seeds value, and append one JSON line per (architecture, seed) to
--out/results.jsonl as it finishes. Each training has its own run folder under --out/runs
(checkpointed every epoch). Ctrl-C checkpoints the running trainings; --resume skips the
finished lines and continues each half-finished training from its checkpoint.

--workers N runs N trainings at a time; each splits its kernels over cores/N goroutines, so
together they use every core once (results are bit-identical for the same split). The budget
flags are those of rdarts train (the protocol's defaults: shrink them, 81 × 600 epochs is a
lot). At the end, or at once with --no-train, it writes --out/ranking.json (architectures by
mean test error) and prints a summary; --rank GENOTYPE (DARTS notation, a file or a search run
folder) adds that architecture's rank, e.g. what DARTS picked.`,
		Example: `  rdarts exhaustive --space s5 --dataset fashion-mnist --epochs 10 --layers 5 --init-channels 8 \
      --train-size 5000 --workers 2 --out runs/s5-truth
  rdarts exhaustive --out runs/s5-truth --no-train --rank runs/demo-s5`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.config != "" {
				cfg, err := loadTrainConfig(o.config, cmd.Flags())
				if err != nil {
					return err
				}
				o.cfg.Train = cfg
			}
			o.cfg.Seeds = o.cfg.Seeds[:0]
			for _, s := range o.seeds {
				o.cfg.Seeds = append(o.cfg.Seeds, uint64(s))
			}
			return runExhaustive(cmd, g, o)
		},
	}
	bindTrainFlags(cmd.Flags(), &o.cfg.Train, false)
	cmd.Flags().StringVar(&o.cfg.Space, "space", o.cfg.Space, "search space to enumerate (s5; any space with few enough architectures)")
	cmd.Flags().UintSliceVar(&o.seeds, "seeds", []uint{1}, "seeds; each architecture is trained once per seed")
	cmd.Flags().StringVar(&o.config, "config", "", "YAML or JSON file with the training budget (flags override it)")
	cmd.Flags().StringVar(&o.out, "out", "runs/exhaustive", "study folder")
	cmd.Flags().BoolVar(&o.resume, "resume", false, "continue the study in --out")
	cmd.Flags().IntVar(&o.workers, "workers", 1, "trainings run at a time")
	cmd.Flags().StringVar(&o.rank, "rank", "", "report the rank of this genotype among the results")
	cmd.Flags().BoolVar(&o.noTrain, "no-train", false, "only rank the results already in --out")
	return cmd
}

func runExhaustive(cmd *cobra.Command, g *globals, o *exhaustiveOptions) error {
	log := g.logger()
	cfg := o.cfg
	var err error
	if o.resume || o.noTrain {
		// A study continues with the configuration it started with.
		if cfg, err = train.LoadExhaustiveConfig(o.out); err != nil {
			return fmt.Errorf("--out %s: %w", o.out, err)
		}
	}
	sp, err := space.Get(cfg.Space)
	if err != nil {
		return usageErr("--space: %v", err)
	}
	var rankOf *space.Genotype
	if o.rank != "" {
		gt, _, err := train.ResolveGenotype(o.rank)
		if err != nil {
			return usageErr("--rank: %v", err)
		}
		if err := gt.ValidateIn(sp); err != nil {
			return usageErr("--rank: not an architecture of space %s: %v", sp.Name, err)
		}
		rankOf = &gt
	}
	if !o.noTrain {
		if o.workers < 1 {
			return usageErr("--workers: must be at least 1, have %d", o.workers)
		}
		cfg.Train.Data = resolveData(cfg.Train.Dataset, cfg.Train.Data)
		if cfg.Train.Data == "" {
			return usageErr("--data: dataset %s needs the folder holding its files", cfg.Train.Dataset)
		}
		k, err := g.kernels()
		if err != nil {
			return err
		}
		// Each training splits its kernels over its share of the cores.
		per := max(1, parallel.Workers()/o.workers)
		parallel.SetWorkers(per)
		log.Info("exhaustive", "workers", o.workers, "threads_per_training", per, "cores", runtime.GOMAXPROCS(0))
		e := &train.Exhaustive{Cfg: cfg, Space: sp, Dir: o.out, Workers: o.workers, Resume: o.resume, Kernels: k, Log: log}
		if err := e.Run(cmd.Context()); err != nil {
			if !o.resume && errors.Is(err, train.ErrInterrupted) {
				log.Warn("interrupted", "continue with", fmt.Sprintf("rdarts exhaustive --out %s --resume", o.out))
			}
			return err
		}
	}
	ranking, err := train.Ranking(o.out)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(ranking, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding ranking.json: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(o.out, "ranking.json"), append(b, '\n')); err != nil {
		return err
	}
	out := struct {
		Space string `json:"space"`
		train.Summary
		Rank *train.Entry `json:"rank,omitempty"`
	}{Space: sp.Name, Summary: train.Summarize(ranking)}
	if rankOf != nil {
		en, err := train.RankOf(ranking, sp, *rankOf)
		if err != nil {
			return err
		}
		out.Rank = &en
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
