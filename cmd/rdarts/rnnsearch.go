package main

import (
	"fmt"
	"math"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rdarts/rdarts/rnnsearch"
)

// bindRNNModelFlags binds the settings of the recurrent model and its data
// that the search and the retraining share and the convolutional spaces do
// not have.
func bindRNNModelFlags(fs *pflag.FlagSet, hidden, evalBatch, bptt *int, tar *float64, drops [5]*float64, trainTokens, validTokens *int) {
	fs.IntVar(hidden, "hidden", *hidden, "recurrent space: embedding and hidden size")
	fs.IntVar(evalBatch, "eval-batch", *evalBatch, "recurrent space: batch columns of the validation perplexity")
	fs.IntVar(bptt, "bptt", *bptt, "recurrent space: window length (drawn as BPTT, or BPTT/2 with probability 0.05)")
	fs.Float64Var(tar, "tar", *tar, "recurrent space: temporal activation regularisation β of the w loss (0 = off)")
	fs.Float64Var(drops[0], "dropout", *drops[0], "recurrent space: variational dropout on the cell's outputs")
	fs.Float64Var(drops[1], "dropouth", *drops[1], "recurrent space: dropout on the hidden state inside the cell")
	fs.Float64Var(drops[2], "dropoutx", *drops[2], "recurrent space: dropout on the input inside the cell")
	fs.Float64Var(drops[3], "dropouti", *drops[3], "recurrent space: variational dropout on the embeddings")
	fs.Float64Var(drops[4], "dropoute", *drops[4], "recurrent space: embedding row dropout")
	fs.IntVar(trainTokens, "train-tokens", *trainTokens, "recurrent space: use the first N training tokens (0 = all)")
	fs.IntVar(validTokens, "valid-tokens", *validTokens, "recurrent space: use the first N validation tokens (0 = all)")
}

// bindRNNOnlySearchFlags binds the recurrent search's settings that the
// convolutional search has no flag for.
func bindRNNOnlySearchFlags(fs *pflag.FlagSet, c *rnnsearch.Config) {
	bindRNNModelFlags(fs, &c.Hidden, &c.EvalBatch, &c.BPTT, &c.TAR,
		[5]*float64{&c.Dropout, &c.DropoutH, &c.DropoutX, &c.DropoutI, &c.DropoutE}, &c.TrainTokens, &c.ValidTokens)
}

// bindRNNSearchFlags binds every setting of a recurrent search: those named
// as the convolutional search's and the recurrent ones.
func bindRNNSearchFlags(fs *pflag.FlagSet, c *rnnsearch.Config) {
	fs.StringVar(&c.Space, "space", c.Space, "search space: rnn")
	fs.StringVar(&c.Data, "data", c.Data, "PTB-format folder (ptb.train.txt, ptb.valid.txt, ptb.test.txt; see rdarts data ptb-from-text)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "random seed")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "search epochs")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "batch columns of the w and α steps")
	fs.IntVar(&c.Order, "order", c.Order, "1 (first-order DARTS) or 2 (second order, unrolled)")
	fs.Float64Var(&c.LR, "lr", c.LR, "SGD learning rate of w")
	fs.Float64Var(&c.Clip, "grad-clip", c.Clip, "clip the w gradient's norm to this")
	fs.Float64Var(&c.WeightDecay, "weight-decay", c.WeightDecay, "L2 weight decay of w (R-DARTS(L2) raises it)")
	fs.Float64Var(&c.ArchLR, "arch-lr", c.ArchLR, "Adam learning rate of α")
	fs.Float64Var(&c.ArchWeightDecay, "arch-weight-decay", c.ArchWeightDecay, "L2 weight decay of α")
	fs.IntVar(&c.HessianEvery, "hessian-every", c.HessianEvery, "dominant Hessian eigenvalue w.r.t. α every K epochs and at the last (0 = never)")
	fs.StringVar(&c.Method, "method", c.Method, "darts or darts-es")
	fs.BoolVar(&c.ESSimulate, "es-simulate", c.ESSimulate, "DARTS-ES: record where it would stop but run to the end")
	fs.IntVar(&c.ES.Window, "es-window", c.ES.Window, "DARTS-ES: eigenvalues per local average")
	fs.IntVar(&c.ES.Delta, "es-delta", c.ES.Delta, "DARTS-ES: look-back in local averages")
	fs.Float64Var(&c.ES.Factor, "es-factor", c.ES.Factor, "DARTS-ES: stop when the average grew by more than this factor")
	fs.IntVar(&c.ES.StartEpoch, "es-start-epoch", c.ES.StartEpoch, "DARTS-ES: earliest stop epoch")
	bindRNNOnlySearchFlags(fs, c)
}

// rnnSearchConfig is the recurrent search the command line asks for: the
// defaults (with --resume the saved run's settings), the config file, then
// the flags given.
func rnnSearchConfig(o *searchOptions, given givenFlags) (rnnsearch.Config, error) {
	c := rnnsearch.DefaultConfig()
	if o.resume {
		saved, err := rnnsearch.LoadConfig(o.out)
		if err != nil {
			return c, fmt.Errorf("--resume: %w", err)
		}
		c = saved
	}
	bind := func(fs *pflag.FlagSet) { bindRNNSearchFlags(fs, &c) }
	if err := refuseForeign(given, bind, func(fs *pflag.FlagSet) { d := o.cfg; bindSearchFlags(fs, &d) }, recurrentWhat); err != nil {
		return c, err
	}
	if err := overlay(o.config, given, &c, bind); err != nil {
		return c, err
	}
	c.Space = rnnsearch.Space // however --space spelt it
	if err := c.Validate(); err != nil {
		return c, usageErr("--%v", err)
	}
	return c, nil
}

// runRNNSearch is rdarts search --space rnn.
func runRNNSearch(cmd *cobra.Command, g *globals, o *searchOptions, given givenFlags) error {
	cfg, err := rnnSearchConfig(o, given)
	if err != nil {
		return err
	}
	k, err := g.kernels()
	if err != nil {
		return err
	}
	log := g.logger()
	r, err := rnnsearch.NewRunner(cfg, o.out, k, log)
	if err != nil {
		return err
	}
	r.Progress, r.Force = pplProgress{newProgress(g.stderr, log)}, o.force
	if err := r.Start(o.resume); err != nil {
		return err
	}
	log.Info("search", "space", cfg.Space, "method", cfg.Method, "order", cfg.Order, "epochs", cfg.Epochs, "hidden", cfg.Hidden,
		"backend", k.Name(), "out", o.out)
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
