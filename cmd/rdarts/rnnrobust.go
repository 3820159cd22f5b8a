package main

import (
	"encoding/json"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rdarts/rdarts/rnnsearch"
	"github.com/rdarts/rdarts/robust"
)

// bindRNNOnlySelectFlags binds the recurrent selection retraining's
// settings that the convolutional budget has no flag for.
func bindRNNOnlySelectFlags(fs *pflag.FlagSet, c *rnnsearch.RetrainConfig) {
	fs.IntVar(&c.Hidden, "select-hidden", c.Hidden, "recurrent space: selection retraining: embedding and hidden size")
	fs.IntVar(&c.TrainTokens, "select-train-tokens", c.TrainTokens, "recurrent space: selection retraining: use the first N training tokens (0 = all)")
}

// bindRNNSelectFlags binds the recurrent selection retraining's settings.
func bindRNNSelectFlags(fs *pflag.FlagSet, c *rnnsearch.RetrainConfig) {
	fs.IntVar(&c.Epochs, "select-epochs", c.Epochs, "selection retraining: epochs")
	fs.IntVar(&c.BatchSize, "select-batch-size", c.BatchSize, "selection retraining: batch columns")
	bindRNNOnlySelectFlags(fs, c)
}

// runRNNRobust is rdarts robust --space rnn: R-DARTS(L2) over the weight
// decay of w (rnnsearch.RobustL2).
func runRNNRobust(cmd *cobra.Command, g *globals, o *searchOptions, ro robust.Options, given givenFlags) error {
	cfg := rnnsearch.DefaultConfig()
	sel := rnnsearch.DefaultSelectConfig()
	bind := func(fs *pflag.FlagSet) { bindRNNSearchFlags(fs, &cfg); bindRNNSelectFlags(fs, &sel) }
	other := func(fs *pflag.FlagSet) {
		c, b := o.cfg, ro.Budget
		bindSearchFlags(fs, &c)
		bindBudgetFlags(fs, &b)
	}
	if err := refuseForeign(given, bind, other, recurrentWhat); err != nil {
		return err
	}
	if err := overlay(o.config, given, &cfg, bind); err != nil {
		return err
	}
	cfg.Space = rnnsearch.Space
	if err := cfg.Validate(); err != nil {
		return usageErr("--%v", err)
	}
	if ro.Family != "l2" {
		return usageErr("--kind: %q has no counterpart in %s, whose R-DARTS is l2 (a grid over the weight decay of w)", ro.Family, recurrentWhat)
	}
	values := ro.Values
	if len(values) == 0 {
		values = rnnsearch.L2Grid()
	}
	for _, wd := range values {
		if !(wd >= 0) {
			return usageErr("--values: weight decays must not be negative, have %v", wd)
		}
	}
	sel.ValidTokens = cfg.ValidTokens
	if sel.Epochs < 1 || sel.Hidden < 1 || sel.BatchSize < 1 || sel.TrainTokens < 0 {
		return usageErr("--select-epochs, --select-hidden, --select-batch-size: must be at least 1; --select-train-tokens: not negative")
	}
	k, err := g.kernels()
	if err != nil {
		return err
	}
	res, err := rnnsearch.RobustL2(cmd.Context(), cfg, values, ro.Rule, sel, o.out, k, g.logger())
	if err != nil {
		return err
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
