package main

import "github.com/spf13/cobra"

func newCmdTrain(g *globals) *cobra.Command {
	return &cobra.Command{Use: "train", Short: "Retrain a genotype from scratch (not built yet)", RunE: notYet}
}

func newCmdAnalyzeDrop(g *globals) *cobra.Command {
	return &cobra.Command{Use: "drop RUN_DIR", Short: "Discretization accuracy drop (not built yet)", RunE: notYet}
}

func newCmdExhaustive(g *globals) *cobra.Command {
	return &cobra.Command{Use: "exhaustive", Short: "Train every architecture of a small space (not built yet)", RunE: notYet}
}
