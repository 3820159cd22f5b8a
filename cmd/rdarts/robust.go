package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/search"
)

func newCmdRobust(g *globals) *cobra.Command {
	o := &searchOptions{cfg: search.Defaults()}
	var kind string
	var values []float64
	cmd := &cobra.Command{
		Use:   "robust",
		Short: "R-DARTS(L2) or R-DARTS(DP): a search per regularisation value, the best by validation accuracy",
		Long: `Run R-DARTS (spec §6): one search per value of the grid — weight decay
{3e-4, 9e-4, 2.7e-3, 8.1e-3} for --kind l2, drop-path probability {0, 0.2, 0.4, 0.6} with cutout
for --kind dp — in --out/<kind>_<value>, then pick the architecture with the best one-shot
validation accuracy. Writes robust.json (every member) and genotype.txt. Rerunning the same
command resumes: finished members are kept, an interrupted one continues.`,
		Example: `  rdarts robust --kind l2 --dataset fashion-mnist --space s2 --epochs 10 --layers 5 \
      --init-channels 8 --train-size 6000 --order 1 --out runs/r-darts-l2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.config != "" {
				cfg, err := loadConfig(o.config, cmd.Flags())
				if err != nil {
					return err
				}
				o.cfg = cfg
			}
			k, err := g.kernels()
			if err != nil {
				return err
			}
			cfg := o.cfg
			cfg.Data = resolveData(cfg.Dataset, cfg.Data)
			if err := cfg.Validate(); err != nil {
				return usageErr("--%v", err)
			}
			log := g.logger()
			res, err := search.Robust(cmd.Context(), cfg, kind, values, o.out, k, log, newProgress(g.stderr, log))
			if err != nil {
				return err
			}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(res)
		},
	}
	bindSearchFlags(cmd.Flags(), &o.cfg)
	cmd.Flags().StringVar(&o.config, "config", "", "YAML or JSON file with search settings (flags override it)")
	cmd.Flags().StringVar(&o.out, "out", "runs/robust", "folder for the member runs")
	cmd.Flags().StringVar(&kind, "kind", "l2", "l2 (weight decay grid) or dp (drop-path grid with cutout)")
	cmd.Flags().Float64SliceVar(&values, "values", nil, "grid values (default: the paper's grid for --kind)")
	return cmd
}
