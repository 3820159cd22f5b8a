package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/rnnsearch"
)

func newCmdRNNRobust(g *globals) *cobra.Command {
	base := rnnsearch.DefaultConfig()
	sel := rnnsearch.DefaultRetrainConfig()
	sel.Epochs, sel.Hidden = 3, 300
	sel.TestBatch = 10 // the test perplexity of a selection run is not used: batch 10 is enough
	decays := []float64{5e-7, 1.5e-6, 4.5e-6, 1.35e-5}
	var out string
	cmd := &cobra.Command{
		Use:   "robust-rnn",
		Short: "R-DARTS(L2) on the recurrent space: a search per weight decay, the member chosen by a short retraining",
		Long: `Run one recurrent search (search-rnn) per --weight-decays value in OUT/wd_<value>, retrain each
answer briefly (--select-* settings, the rest as train-rnn's defaults) in OUT/wd_<value>/select,
and choose the member with the lowest validation perplexity (OUT/result.json). The default
decays multiply the search's 5e-7 by 1, 3, 9 and 27, as the convolutional R-DARTS(L2) grid
does with its 3e-4 (docs/recurrent.md). Finished searches are kept; run it again to resume.`,
		Example: `  rdarts robust-rnn --data data/kjv --epochs 2 --hidden 64 --batch-size 32 --train-tokens 100000 \
      --select-epochs 1 --select-hidden 64 --select-train-tokens 100000 --out runs/rnn-l2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := base.Validate(); err != nil {
				return usageErr("--%v", err)
			}
			if sel.Epochs < 1 || sel.Hidden < 1 || sel.BatchSize < 1 || sel.TrainTokens < 0 {
				return usageErr("--select-epochs, --select-hidden and --select-batch-size: must be at least 1")
			}
			for _, wd := range decays {
				if !(wd >= 0) {
					return usageErr("--weight-decays: must not be negative, have %v", wd)
				}
			}
			k, err := g.kernels()
			if err != nil {
				return err
			}
			sel.ValidTokens = base.ValidTokens
			res, err := rnnsearch.RobustL2(cmd.Context(), base, decays, sel, out, k, g.logger())
			if err != nil {
				return err
			}
			for i, m := range res.Members {
				mark := " "
				if i == res.Chosen {
					mark = "*"
				}
				fmt.Fprintf(g.stdout, "%s weight decay %-8g selection valid ppl %8.2f  %s\n", mark, m.WeightDecay, m.Select.ValidPPL, m.Search.Genotype)
			}
			fmt.Fprintf(g.stdout, "chosen: weight decay %g (%s)\n", res.Members[res.Chosen].WeightDecay, out)
			return nil
		},
	}
	bindRNNSearchFlags(cmd.Flags(), &base)
	cmd.Flags().Lookup("weight-decay").Hidden = true // --weight-decays sets it per member
	cmd.Flags().Float64SliceVar(&decays, "weight-decays", decays, "the members' weight decays of w")
	cmd.Flags().IntVar(&sel.Epochs, "select-epochs", sel.Epochs, "selection retraining: epochs")
	cmd.Flags().IntVar(&sel.Hidden, "select-hidden", sel.Hidden, "selection retraining: embedding and hidden size")
	cmd.Flags().IntVar(&sel.BatchSize, "select-batch-size", sel.BatchSize, "selection retraining: batch columns")
	cmd.Flags().IntVar(&sel.TrainTokens, "select-train-tokens", sel.TrainTokens, "selection retraining: use the first N training tokens (0 = all)")
	cmd.Flags().StringVar(&out, "out", "runs/robust-rnn", "group folder")
	return cmd
}
