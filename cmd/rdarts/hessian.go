package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/search"
)

type hessianOptions struct {
	epoch int
	exact bool
	top   int
}

func newCmdHessian(g *globals) *cobra.Command {
	o := &hessianOptions{}
	cmd := &cobra.Command{
		Use:   "hessian RUN_DIR",
		Short: "Dominant eigenvalue of ∇²_α L_val on a saved search checkpoint",
		Long: `Recompute the eigen-analysis (docs/method.md, Eigen-analysis) on a search run's checkpoint: the dominant
eigenvalue of the Hessian of the validation loss w.r.t. α (normal and reduce, +λ_α·I), on the
batch of the epoch's last α step, in train mode. Lanczos by default; --exact builds the full
Hessian and prints the top --top eigenvalues. Prints one JSON object.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := convolutionalRun(args[0], cmd.CommandPath()); err != nil {
				return err
			}
			k, err := g.kernels()
			if err != nil {
				return err
			}
			r, err := search.Open(args[0], search.OpenOptions{Epoch: o.epoch}, k, g.logger())
			if err != nil {
				return err
			}
			eig, err := r.Hessian(o.exact, o.top)
			if err != nil {
				return err
			}
			out := struct {
				Run   string `json:"run"`
				Epoch int    `json:"epoch"`
				search.Eigen
			}{args[0], r.Epoch(), eig}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
	cmd.Flags().IntVar(&o.epoch, "epoch", -1, "epoch to analyse (needs search --keep-checkpoints; default: the last finished one)")
	cmd.Flags().BoolVar(&o.exact, "exact", false, "full Hessian and symmetric eigen-decomposition")
	cmd.Flags().IntVar(&o.top, "top", 10, "eigenvalues to print with --exact")
	return cmd
}
