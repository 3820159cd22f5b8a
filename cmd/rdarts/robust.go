package main

import (
	"encoding/json"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rdarts/rdarts/rnnsearch"
	"github.com/rdarts/rdarts/robust"
	"github.com/rdarts/rdarts/search"
)

// bindBudgetFlags binds R-DARTS' selection budget to --select-* flags.
func bindBudgetFlags(fs *pflag.FlagSet, b *robust.Budget) {
	fs.IntVar(&b.Epochs, "select-epochs", b.Epochs, "selection retraining: epochs")
	fs.IntVar(&b.Layers, "select-layers", b.Layers, "selection retraining: cells")
	fs.IntVar(&b.Channels, "select-init-channels", b.Channels, "selection retraining: channels of the first cells")
	fs.IntVar(&b.BatchSize, "select-batch-size", b.BatchSize, "selection retraining: batch size")
	fs.IntVar(&b.TrainSize, "select-train-size", b.TrainSize, "selection retraining: at most this many of the search's w images (0 = all)")
	fs.IntVar(&b.ValidSize, "select-valid-size", b.ValidSize, "selection retraining: score on at most this many of the search's α images (0 = all)")
}

func newCmdRobust(g *globals) *cobra.Command {
	o := &searchOptions{cfg: search.Defaults()}
	ro := robust.Options{Budget: robust.DefaultBudget()}
	var rule string
	cmd := &cobra.Command{
		Use:   "robust",
		Short: "R-DARTS(L2) or R-DARTS(DP): a search per regularisation value, then the best member",
		Long: `Run R-DARTS (docs/method.md § R-DARTS): one search per value of the grid — weight decay
{3e-4, 9e-4, 2.7e-3, 8.1e-3} for --kind l2, drop-path probability {0, 0.2, 0.4, 0.6} with cutout
for --kind dp — in --out/<kind>_<value>, then select one member.

--select retrain (the default) retrains each member's architecture from scratch for a short
budget (--select-*: 10 epochs, 5 cells of 16 channels, batch 96) on the search's w images and
scores it on the search's α images, in --out/select/<kind>_<value>; the best held-out accuracy
wins and the test set is never used. --select oneshot takes the best one-shot validation
accuracy at the end of search instead (it favours the weakest regularisation).
Writes robust.json (every member and its scores) and genotype.txt. Rerunning the same command
resumes: finished members are kept, an interrupted one continues.

--space rnn runs R-DARTS(L2) on the recurrent space (docs/recurrent.md): one recurrent search
per weight decay of w, by default 5e-7 × {1, 3, 9, 27} = {5e-7, 1.5e-6, 4.5e-6, 1.35e-5}, in
--out/wd_<value>; --select retrain retrains each answer briefly (3 epochs at 300 units, batch 64;
--select-epochs, --select-hidden, --select-batch-size, --select-train-tokens) in
--out/wd_<value>/select and chooses the lowest validation perplexity, --select oneshot the
lowest search validation perplexity. The test split is never used for the choice. Writes
--out/result.json; --kind dp and the convolutional --select-* flags are refused.`,
		Example: `  rdarts robust --kind l2 --dataset fashion-mnist --space s2 --epochs 10 --layers 5 \
      --init-channels 8 --train-size 6000 --order 1 --out runs/r-darts-l2
  rdarts robust --space rnn --data data/kjv --epochs 2 --hidden 64 --batch-size 32 \
      --train-tokens 100000 --select-epochs 1 --select-hidden 64 --out runs/rnn-l2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := robust.ParseRule(rule)
			if err != nil {
				return usageErr("--select: %v", err)
			}
			ro.Rule = r
			given := flagValues(cmd.Flags())
			if o.recurrent(given) {
				return runRNNRobust(cmd, g, o, ro, given)
			}
			var rnn rnnsearch.Config
			rsel := rnnsearch.DefaultSelectConfig()
			err = refuseForeign(given, func(fs *pflag.FlagSet) { c, b := o.cfg, ro.Budget; bindSearchFlags(fs, &c); bindBudgetFlags(fs, &b) },
				func(fs *pflag.FlagSet) { bindRNNSearchFlags(fs, &rnn); bindRNNSelectFlags(fs, &rsel) }, "the convolutional spaces (only --space rnn has it)")
			if err != nil {
				return err
			}
			if o.config != "" {
				cfg, err := loadConfig(o.config, cmd.Flags())
				if err != nil {
					return err
				}
				o.cfg = cfg
			}
			if err := ro.Budget.Validate(); err != nil {
				return usageErr("--%v", err)
			}
			if ro.Kernels, err = g.kernels(); err != nil {
				return err
			}
			cfg := o.cfg
			cfg.Data = resolveData(cfg.Dataset, cfg.Data)
			if err := cfg.Validate(); err != nil {
				return usageErr("--%v", err)
			}
			ro.Log = g.logger()
			ro.Progress, ro.Dir = newProgress(g.stderr, ro.Log), o.out
			res, err := robust.Run(cmd.Context(), cfg, ro)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(res)
		},
	}
	bindSearchFlags(cmd.Flags(), &o.cfg)
	bindBudgetFlags(cmd.Flags(), &ro.Budget)
	rnn, rsel := rnnsearch.DefaultConfig(), rnnsearch.DefaultSelectConfig() // parsed here, read by runRNNRobust from the flags given
	bindRNNOnlySearchFlags(cmd.Flags(), &rnn)
	bindRNNOnlySelectFlags(cmd.Flags(), &rsel)
	cmd.Flags().StringVar(&o.config, "config", "", "YAML or JSON file with search settings (flags override it)")
	cmd.Flags().StringVar(&o.out, "out", "runs/robust", "folder for the member runs")
	cmd.Flags().StringVar(&ro.Family, "kind", "l2", "l2 (weight decay grid) or dp (drop-path grid with cutout)")
	cmd.Flags().Float64SliceVar(&ro.Values, "values", nil, "grid values (default: the paper's grid for --kind)")
	cmd.Flags().StringVar(&rule, "select", string(robust.RuleRetrain), "how the member is chosen: retrain (short retraining, held-out accuracy) or oneshot")
	return cmd
}
