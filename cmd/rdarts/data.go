package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/data"
)

func newCmdData(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "data", Short: "Inspect datasets"}
	var name, dir string
	inspect := &cobra.Command{
		Use:   "inspect",
		Short: "Print a dataset's split sizes, shape, class counts and pixel statistics as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir = resolveData(name, dir)
			if dir == "" {
				return usageErr("--data: dataset %s needs the folder holding its files", name)
			}
			s, err := data.Inspect(name, dir)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(s)
		},
	}
	inspect.Flags().StringVar(&name, "dataset", "fashion-mnist", "fashion-mnist, mnist, cifar10, cifar100 or svhn")
	inspect.Flags().StringVar(&dir, "data", "", "folder holding the dataset files")
	cmd.AddCommand(inspect, newCmdPTBFromText(g))
	return cmd
}
