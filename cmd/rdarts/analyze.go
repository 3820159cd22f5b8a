package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/analysis"
)

func newCmdAnalyze(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "analyze", Short: "Analyses of finished runs: es, drop"}
	cmd.AddCommand(newCmdAnalyzeES(g), newCmdAnalyzeDrop(g))
	return cmd
}

func newCmdAnalyzeES(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "es RUN_DIR",
		Short: "Apply the DARTS-ES stopping rule offline to a run's eigenvalues",
		Long: `Read the eigenvalues ("ev") of a run's metrics.jsonl and apply the DARTS-ES rule
(docs/method.md, DARTS-ES) with the run's constants: where it would have stopped, and the genotype and validation accuracy
of that epoch. Prints one JSON object.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := convolutionalRun(args[0], cmd.CommandPath()); err != nil {
				return err
			}
			res, err := analysis.AnalyzeES(args[0])
			if err != nil {
				return err
			}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(res)
		},
	}
}
