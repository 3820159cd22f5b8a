package main

import "github.com/spf13/cobra"

func newCmdBench(g *globals) *cobra.Command {
	return &cobra.Command{Use: "bench", Short: "Benchmark the search step against PyTorch (not built yet)", RunE: notYet}
}
