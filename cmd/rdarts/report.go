package main

import "github.com/spf13/cobra"

func newCmdReport(g *globals) *cobra.Command {
	return &cobra.Command{Use: "report", Short: "HTML report of run folders (not built yet)", RunE: notYet}
}
