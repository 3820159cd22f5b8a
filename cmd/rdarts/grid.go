package main

import "github.com/spf13/cobra"

func newCmdGrid(g *globals) *cobra.Command {
	return &cobra.Command{Use: "grid", Short: "Run a study grid locally or on Slurm (not built yet)", RunE: notYet}
}
