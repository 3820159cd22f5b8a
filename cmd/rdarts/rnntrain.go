package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/rnnsearch"
)

func newCmdRNNTrain(g *globals) *cobra.Command {
	c := rnnsearch.DefaultRetrainConfig()
	var genotype, out string
	var force bool
	cmd := &cobra.Command{
		Use:   "train-rnn",
		Short: "Retrain a recurrent genotype and report its validation and test perplexity",
		Long: `Train the evaluation model of a recurrent genotype from scratch as DARTS' rnn/train.py
does (850 units, its dropouts, SGD switching to averaged SGD when the validation loss stops
improving) on a PTB-format corpus, and report the best weights' validation and test
perplexity. --genotype is a genotype in DARTS notation, a file holding one, a search-rnn run
folder (its genotype.txt), or DARTS_V1 / DARTS_V2. The run folder gets config.json,
metrics.jsonl (one record per epoch) and result.json; retraining has no checkpoints: an
interrupted one starts again (--force). Ctrl-C stops after the current epoch and still
reports the best weights.`,
		Example: `  rdarts train-rnn --genotype runs/rnn --data data/kjv --epochs 3 --hidden 200 \
      --train-tokens 200000 --out runs/rnn-train`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if genotype == "" {
				return usageErr("--genotype: give the cell to train (DARTS notation, a file, a run folder, DARTS_V1 or DARTS_V2)")
			}
			gt, err := rnnsearch.ResolveRNNGenotype(genotype)
			if err != nil {
				return usageErr("--genotype: %v", err)
			}
			c.Genotype = gt.String()
			if err := c.Validate(); err != nil {
				return usageErr("--%v", err)
			}
			k, err := g.kernels()
			if err != nil {
				return err
			}
			res, err := rnnsearch.Retrain(cmd.Context(), c, out, force, k, g.logger())
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "best epoch %d: valid ppl %.2f, test ppl %.2f\nrun folder: %s (metrics.jsonl, result.json)\n",
				res.BestEpoch, res.ValidPPL, res.TestPPL, out)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&genotype, "genotype", "", "recurrent genotype: DARTS notation, a file, a search-rnn run folder, DARTS_V1 or DARTS_V2")
	fs.StringVar(&c.Data, "data", "", "PTB-format folder (see rdarts data ptb-from-text)")
	fs.StringVar(&out, "out", "runs/train-rnn", "run folder")
	fs.BoolVar(&force, "force", false, "replace the run --out holds")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "random seed")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "epochs (the reference's bound; runs are stopped far earlier)")
	fs.IntVar(&c.Hidden, "hidden", c.Hidden, "embedding and hidden size")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "training batch columns")
	fs.IntVar(&c.EvalBatch, "eval-batch", c.EvalBatch, "validation batch columns")
	fs.IntVar(&c.TestBatch, "test-batch", c.TestBatch, "test batch columns")
	fs.IntVar(&c.BPTT, "bptt", c.BPTT, "mean window length")
	fs.Float64Var(&c.LR, "lr", c.LR, "learning rate of SGD and ASGD")
	fs.Float64Var(&c.Clip, "clip", c.Clip, "clip the gradient's norm to this")
	fs.Float64Var(&c.WeightDecay, "weight-decay", c.WeightDecay, "L2 weight decay")
	fs.Float64Var(&c.TAR, "tar", c.TAR, "temporal activation regularisation β (0 = off)")
	fs.IntVar(&c.NonMono, "nonmono", c.NonMono, "switch to ASGD when validation is worse than the best before the last N epochs")
	fs.Float64Var(&c.Dropout, "dropout", c.Dropout, "variational dropout on the cell's outputs")
	fs.Float64Var(&c.DropoutH, "dropouth", c.DropoutH, "dropout on the hidden state inside the cell")
	fs.Float64Var(&c.DropoutX, "dropoutx", c.DropoutX, "dropout on the input inside the cell")
	fs.Float64Var(&c.DropoutI, "dropouti", c.DropoutI, "variational dropout on the embeddings")
	fs.Float64Var(&c.DropoutE, "dropoute", c.DropoutE, "embedding row dropout")
	fs.IntVar(&c.TrainTokens, "train-tokens", c.TrainTokens, "use the first N training tokens (0 = all)")
	fs.IntVar(&c.ValidTokens, "valid-tokens", c.ValidTokens, "use the first N validation tokens (0 = all)")
	fs.IntVar(&c.TestTokens, "test-tokens", c.TestTokens, "use the first N test tokens (0 = all)")
	return cmd
}
