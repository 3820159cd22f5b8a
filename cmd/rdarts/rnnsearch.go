package main

import (
	"fmt"
	"math"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rdarts/rdarts/rnnsearch"
)

type rnnSearchOptions struct {
	cfg    rnnsearch.Config
	out    string
	resume bool
	force  bool
}

// bindRNNSearchFlags binds every field of a recurrent search config to a flag.
func bindRNNSearchFlags(fs *pflag.FlagSet, c *rnnsearch.Config) {
	fs.StringVar(&c.Data, "data", c.Data, "PTB-format folder (ptb.train.txt, ptb.valid.txt, ptb.test.txt; see rdarts data ptb-from-text)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "random seed")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "search epochs")
	fs.IntVar(&c.Hidden, "hidden", c.Hidden, "embedding and hidden size")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "batch columns of the w and α steps")
	fs.IntVar(&c.EvalBatch, "eval-batch", c.EvalBatch, "batch columns of the validation perplexity")
	fs.IntVar(&c.BPTT, "bptt", c.BPTT, "window length (drawn as BPTT, or BPTT/2 with probability 0.05)")
	fs.IntVar(&c.Order, "order", c.Order, "1 (first-order DARTS) or 2 (second order, unrolled)")
	fs.Float64Var(&c.LR, "lr", c.LR, "SGD learning rate of w")
	fs.Float64Var(&c.Clip, "clip", c.Clip, "clip the w gradient's norm to this")
	fs.Float64Var(&c.WeightDecay, "weight-decay", c.WeightDecay, "L2 weight decay of w (R-DARTS(L2) raises it)")
	fs.Float64Var(&c.ArchLR, "arch-lr", c.ArchLR, "Adam learning rate of α")
	fs.Float64Var(&c.ArchWeightDecay, "arch-weight-decay", c.ArchWeightDecay, "L2 weight decay of α")
	fs.Float64Var(&c.TAR, "tar", c.TAR, "temporal activation regularisation β of the w loss (0 = off)")
	fs.Float64Var(&c.Dropout, "dropout", c.Dropout, "variational dropout on the cell's outputs")
	fs.Float64Var(&c.DropoutH, "dropouth", c.DropoutH, "dropout on the hidden state inside the cell")
	fs.Float64Var(&c.DropoutX, "dropoutx", c.DropoutX, "dropout on the input inside the cell")
	fs.Float64Var(&c.DropoutI, "dropouti", c.DropoutI, "variational dropout on the embeddings")
	fs.Float64Var(&c.DropoutE, "dropoute", c.DropoutE, "embedding row dropout")
	fs.IntVar(&c.TrainTokens, "train-tokens", c.TrainTokens, "use the first N training tokens (0 = all)")
	fs.IntVar(&c.ValidTokens, "valid-tokens", c.ValidTokens, "use the first N validation tokens (0 = all)")
	fs.IntVar(&c.HessianEvery, "hessian-every", c.HessianEvery, "dominant Hessian eigenvalue w.r.t. α every K epochs and at the last (0 = never)")
	fs.StringVar(&c.Method, "method", c.Method, "darts, or darts-es (stop when the eigenvalue's local average grows by more than --es-factor)")
	fs.BoolVar(&c.ESSimulate, "es-simulate", c.ESSimulate, "DARTS-ES: record where it would stop but run to the end")
	fs.IntVar(&c.ES.Window, "es-window", c.ES.Window, "DARTS-ES: eigenvalues per local average")
	fs.IntVar(&c.ES.Delta, "es-delta", c.ES.Delta, "DARTS-ES: look-back in local averages")
	fs.Float64Var(&c.ES.Factor, "es-factor", c.ES.Factor, "DARTS-ES: stop when the average grew by more than this factor")
	fs.IntVar(&c.ES.StartEpoch, "es-start-epoch", c.ES.StartEpoch, "DARTS-ES: earliest stop epoch")
}

func newCmdRNNSearch(g *globals) *cobra.Command {
	o := &rnnSearchOptions{cfg: rnnsearch.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "search-rnn",
		Short: "Search a recurrent cell for language modelling (the DARTS PTB space)",
		Long: `Search the recurrent cell of DARTS' language-modelling space (an initial node and
8 nodes, each choosing an earlier node and one of tanh, relu, sigmoid, identity) on a
PTB-format corpus, and write a run folder: config.json, metrics.jsonl (per epoch:
training and validation perplexity, genotype, softmax(α), eigenvalue), genotype.txt,
result.json and checkpoint.gob. Defaults are the reference's search (300 units, batch
256, BPTT 35, SGD lr 20, α by Adam 3e-3, 50 epochs); reduce them by flags.`,
		Example: `  rdarts search-rnn --data data/kjv --epochs 2 --hidden 64 --batch-size 32 \
      --train-tokens 100000 --valid-tokens 20000 --hessian-every 1 --out runs/rnn
  rdarts search-rnn --out runs/rnn --resume`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.resume {
				given := flagValues(cmd.Flags())
				saved, err := rnnsearch.LoadConfig(o.out)
				if err != nil {
					return fmt.Errorf("--resume: %w", err)
				}
				o.cfg = saved
				if err := replayFlags(given, func(fs *pflag.FlagSet) { bindRNNSearchFlags(fs, &o.cfg) }); err != nil {
					return err
				}
			}
			return runRNNSearch(cmd, g, o)
		},
	}
	bindRNNSearchFlags(cmd.Flags(), &o.cfg)
	cmd.Flags().StringVar(&o.out, "out", "runs/search-rnn", "run folder")
	cmd.Flags().BoolVar(&o.resume, "resume", false, "continue the run in --out from its last checkpoint (the same settings, or none, may be given)")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace the run --out holds (its files are deleted)")
	cmd.MarkFlagsMutuallyExclusive("resume", "force")
	return cmd
}

func runRNNSearch(cmd *cobra.Command, g *globals, o *rnnSearchOptions) error {
	k, err := g.kernels()
	if err != nil {
		return err
	}
	if err := o.cfg.Validate(); err != nil {
		return usageErr("--%v", err)
	}
	log := g.logger()
	r, err := rnnsearch.NewRunner(o.cfg, o.out, k, log)
	if err != nil {
		return err
	}
	r.Progress, r.Force = pplProgress{newProgress(g.stderr, log)}, o.force
	if err := r.Start(o.resume); err != nil {
		return err
	}
	log.Info("search-rnn", "epochs", o.cfg.Epochs, "hidden", o.cfg.Hidden, "order", o.cfg.Order, "backend", k.Name(), "out", o.out)
	if err := r.Run(cmd.Context()); err != nil {
		return err
	}
	res, _ := r.Outcome()
	fmt.Fprintf(g.stdout, "genotype (epoch %d, valid ppl %.2f):\n%s\n\nrun folder: %s (metrics.jsonl, genotype.txt, result.json)\n",
		res.Epoch, res.ValidPPL, res.Genotype, o.out)
	return nil
}

// pplProgress shows a language model's progress: perplexity, not accuracy.
type pplProgress struct{ *progress }

func (p pplProgress) Step(step int, loss, _ float64) {
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("epoch %d loss %.3f ppl %.1f", p.epoch, loss, math.Exp(loss)))
		p.bar.Set(step)
		return
	}
	if step-p.lastLog >= max(1, p.steps/10) || step == p.steps {
		p.lastLog = step
		p.log.Info("train", "epoch", p.epoch, "step", fmt.Sprintf("%d/%d", step, p.steps), "loss", fmt.Sprintf("%.4f", loss), "ppl", fmt.Sprintf("%.2f", math.Exp(loss)))
	}
}
