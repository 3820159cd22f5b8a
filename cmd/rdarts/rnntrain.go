package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/rnnsearch"
)

// bindRNNOnlyTrainFlags binds the recurrent retraining's settings that the
// convolutional training has no flag for.
func bindRNNOnlyTrainFlags(fs *pflag.FlagSet, c *rnnsearch.RetrainConfig) {
	bindRNNModelFlags(fs, &c.Hidden, &c.EvalBatch, &c.BPTT, &c.TAR,
		[5]*float64{&c.Dropout, &c.DropoutH, &c.DropoutX, &c.DropoutI, &c.DropoutE}, &c.TrainTokens, &c.ValidTokens)
	fs.IntVar(&c.TestBatch, "test-batch", c.TestBatch, "recurrent space: test batch columns")
	fs.IntVar(&c.NonMono, "nonmono", c.NonMono, "recurrent space: switch to ASGD when validation is worse than the best before the last N epochs")
	fs.IntVar(&c.TestTokens, "test-tokens", c.TestTokens, "recurrent space: use the first N test tokens (0 = all)")
}

// bindRNNTrainFlags binds every setting of a recurrent retraining but the
// genotype: those named as the convolutional training's and the recurrent
// ones.
func bindRNNTrainFlags(fs *pflag.FlagSet, c *rnnsearch.RetrainConfig) {
	fs.StringVar(&c.Data, "data", c.Data, "PTB-format folder (see rdarts data ptb-from-text)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "random seed")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "epochs (the reference's bound; runs are stopped far earlier)")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "training batch columns")
	fs.Float64Var(&c.LR, "lr", c.LR, "learning rate of SGD and ASGD")
	fs.Float64Var(&c.Clip, "grad-clip", c.Clip, "clip the gradient's norm to this")
	fs.Float64Var(&c.WeightDecay, "weight-decay", c.WeightDecay, "L2 weight decay")
	bindRNNOnlyTrainFlags(fs, c)
}

// recurrent reports whether the command line asks for a recurrent
// retraining: the run to resume is one, or else (no run there) the
// genotype or the config file is recurrent.
func (o *trainOptions) recurrent() bool {
	switch {
	case o.resume && runfolder.Resumable(o.out):
		return rnnsearch.IsRun(o.out)
	case o.genotype != "":
		return rnnsearch.IsRNNGenotype(o.genotype)
	}
	return o.config != "" && isRecurrent(configSpace(o.config))
}

// rnnTrainConfig is the recurrent retraining the command line asks for:
// the defaults (with --resume the saved run's settings), the config file,
// the flags given, then the genotype.
func rnnTrainConfig(o *trainOptions, given givenFlags) (rnnsearch.RetrainConfig, error) {
	c := rnnsearch.DefaultRetrainConfig()
	if o.resume {
		saved, err := rnnsearch.LoadRetrainConfig(o.out)
		if err != nil {
			return c, fmt.Errorf("--resume: %w", err)
		}
		c = saved
	}
	bind := func(fs *pflag.FlagSet) { bindRNNTrainFlags(fs, &c) }
	if err := refuseForeign(given, bind, func(fs *pflag.FlagSet) { d := o.cfg; bindTrainFlags(fs, &d, true) }, recurrentWhat); err != nil {
		return c, err
	}
	if err := overlay(o.config, given, &c, bind); err != nil {
		return c, err
	}
	if o.genotype != "" {
		gt, err := rnnsearch.ResolveRNNGenotype(o.genotype)
		if err != nil {
			return c, usageErr("--genotype: %v", err)
		}
		c.Genotype = gt.String()
	}
	if c.Genotype == "" {
		return c, usageErr("--genotype: give the architecture to train (DARTS notation, a file, or a search run folder)")
	}
	c.Space = rnnsearch.Space
	if err := c.Validate(); err != nil {
		return c, usageErr("--%v", err)
	}
	return c, nil
}

// runRNNTrain is rdarts train on a recurrent genotype.
func runRNNTrain(cmd *cobra.Command, g *globals, o *trainOptions, given givenFlags) error {
	cfg, err := rnnTrainConfig(o, given)
	if err != nil {
		return err
	}
	k, err := g.kernels()
	if err != nil {
		return err
	}
	log := g.logger()
	r, err := rnnsearch.NewRetrainer(cfg, o.out, k, log)
	if err != nil {
		return err
	}
	r.Progress, r.Force = pplProgress{newProgress(g.stderr, log)}, o.force
	if err := r.Start(o.resume); err != nil {
		return err
	}
	log.Info("train", "space", cfg.Space, "hidden", cfg.Hidden, "epochs", cfg.Epochs, "backend", k.Name(), "out", o.out)
	if err := r.Run(cmd.Context()); err != nil {
		return err
	}
	res, _ := r.Outcome()
	fmt.Fprintf(g.stdout, "best epoch %d: valid ppl %.2f, test ppl %.2f\nrun folder: %s (metrics.jsonl, result.json)\n",
		res.BestEpoch, res.ValidPPL, res.TestPPL, o.out)
	return nil
}
