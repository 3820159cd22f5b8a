package main

import (
	"github.com/spf13/cobra"
)

func newCmdAnalyze(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "analyze", Short: "Analyses of finished runs: es, drop"}
	cmd.AddCommand(newCmdAnalyzeES(g), newCmdAnalyzeDrop(g))
	return cmd
}

func newCmdAnalyzeES(g *globals) *cobra.Command {
	return &cobra.Command{Use: "es RUN_DIR", Short: "Apply the DARTS-ES rule offline (not built yet)", RunE: notYet}
}
