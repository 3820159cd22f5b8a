package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/report"
)

func newCmdRNNReport(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report-rnn RUN",
		Short: "HTML report of a recurrent search run: perplexity and eigenvalue curves, the cell, the paper's PTB numbers",
		Long: `Write an HTML page for a search-rnn run folder: training and validation perplexity per epoch,
the dominant eigenvalue when the run computed it, the cell (the result's, or the last
epoch's while the run is going) and the paper's Penn Treebank perplexities for reference.`,
		Example: `  rdarts report-rnn runs/rnn --out runs/rnn/report`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := out
			if dir == "" {
				dir = filepath.Join(args[0], "report")
			}
			if err := report.WriteRNN(args[0], dir); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "report: %s\n", filepath.Join(dir, "index.html"))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "report folder (default: RUN/report)")
	return cmd
}
