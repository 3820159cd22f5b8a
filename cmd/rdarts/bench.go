package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/internal/atomicfile"
	"github.com/rdarts/rdarts/internal/benchmark"
	"github.com/rdarts/rdarts/internal/parallel"
)

type benchOptions struct {
	spaces, sizes, items []string
	steps, warmup        int
	layers, channels     int
	batch                int
	seed                 uint64
	exact                bool
	json                 string
	cpuprofile           string
}

// benchReport is what --json writes.
type benchReport struct {
	Date    string             `json:"date"`
	Machine benchmark.Machine  `json:"machine"`
	Results []benchmark.Result `json:"results"`
}

func newCmdBench(g *globals) *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time the search step, the evaluation step and the eigenvalue on synthetic data",
		Long: `Time rdarts' hot paths on synthetic random batches (no dataset needed):

  search1  first-order search step: α part (∇α L_val, Adam) and w part (∇w L_train, clip, SGD)
  search2  second-order (unrolled) search step, same parts
  eval     evaluation-network training step (DARTS_V2 in the darts space, else the genotype
           derived from the initial α; auxiliary head on; forward, backward, clip, SGD)
  eigen    one dominant eigenvalue of the α Hessian by Lanczos (docs/method.md, Eigen-analysis)
  exact    the same from the full Hessian (2·n_α gradients; slow)

Sizes: paper (8 cells, 16 channels, batch 64, 32×32×3), demo (5 cells, 8 channels,
batch 64, 28×28×1), tiny (3 cells, 4 channels, batch 4, 8×8×3). Step items report the median
and minimum of --steps timed steps after --warmup untimed ones; GFLOPS counts conv and GEMM
multiply-adds ×2 (instrumented backend, first warm-up step) over the median; "% peak" is
against the measured peak (threads cores running a loop of vector FMAs at once; where no
such loop is built, the nominal threads × clock × FP32 FLOPs/cycle from /proc/cpuinfo, and
the header says so), "% SGEMM" against the backend's own 1024³ SGEMM; RSS is the VmHWM
high-water mark of the item (reset before each). bench/compare.sh sets these against the PyTorch twin.

--spaces rnn times the recurrent space (docs/recurrent.md) on a synthetic corpus: search1 and
search2 are a whole search step (α step, then w step on a window), eval a retraining step of
DARTS_V2's cell, eigen the dominant eigenvalue w.r.t. α. Its sizes: paper (the reference's
search: 10 000 words, 300 units, batch 256, BPTT 35; retraining 850 units, batch 64), demo
(10 000 words, 64 units, batch 32) and tiny; a line per item gives its tokens per second.`,
		Example: `  rdarts bench --threads 2 --spaces s2 --sizes paper --items search1,search2,eigen
  rdarts bench --sizes demo --spaces s2,darts --json bench.json
  rdarts bench --spaces rnn --sizes demo --items search1,search2,eval`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd, g, o) },
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.spaces, "spaces", []string{"s2", "s1", "darts"}, "search spaces (rnn: the recurrent space)")
	f.StringSliceVar(&o.sizes, "sizes", []string{"paper", "demo"}, "sizes: paper, demo, tiny")
	f.StringSliceVar(&o.items, "items", []string{"search1", "search2", "eval", "eigen"}, "items: search1, search2, eval, eigen, exact")
	f.IntVar(&o.steps, "steps", 5, "timed steps per step item")
	f.IntVar(&o.warmup, "warmup", 1, "untimed steps before them")
	f.IntVar(&o.layers, "layers", 0, "override the cells of every size")
	f.IntVar(&o.channels, "init-channels", 0, "override the initial channels of every size")
	f.IntVar(&o.batch, "batch-size", 0, "override the batch of every size")
	f.Uint64Var(&o.seed, "seed", 1, "random seed of weights and synthetic batches")
	f.BoolVar(&o.exact, "exact", false, "also time the exact (full Hessian) eigenvalue")
	f.StringVar(&o.json, "json", "", "also write the results as JSON to this file")
	f.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	return cmd
}

func runBench(cmd *cobra.Command, g *globals, o *benchOptions) error {
	k, err := g.kernels()
	if err != nil {
		return err
	}
	if o.steps < 1 || o.warmup < 1 {
		return usageErr("--steps and --warmup must be at least 1")
	}
	items, err := benchmark.ParseItems(o.items)
	if err != nil {
		return usageErr("--items: %v", err)
	}
	if o.exact && !slices.Contains(items, benchmark.ItemExact) {
		items = append(items, benchmark.ItemExact)
	}
	if slices.Contains(o.spaces, benchmark.RNNSpace) && slices.Contains(items, benchmark.ItemExact) {
		return usageErr("--items: exact is not measured on the recurrent space (--spaces rnn; it has search1, search2, eval, eigen)")
	}
	var sizes []benchmark.Size
	for _, n := range o.sizes {
		sz, ok := benchmark.Sizes[n]
		if !ok {
			return usageErr("--sizes: %q is not one of paper, demo, tiny", n)
		}
		if o.layers > 0 {
			sz.Layers = o.layers
		}
		if o.channels > 0 {
			sz.C = o.channels
		}
		if o.batch > 0 {
			sz.Batch = o.batch
		}
		sizes = append(sizes, sz)
	}
	m := benchmark.Probe(k, parallel.Workers())
	m.SgemmGFLOPS = benchmark.SgemmRate(k)
	m.FMAPeakGFLOPS = benchmark.FMAPeak(m.Threads)
	log := g.logger()
	log.Info("bench", "cpu", m.CPU, "threads", m.Threads, "backend", m.Backend, "fma_peak_gflops", fmt.Sprintf("%.0f", m.FMAPeakGFLOPS),
		"nominal_peak_gflops", fmt.Sprintf("%.0f", m.PeakGFLOPS), "sgemm_gflops", fmt.Sprintf("%.0f", m.SgemmGFLOPS), "commit", m.Commit)
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	date := time.Now().UTC().Format(time.RFC3339)
	res, err := benchmark.Run(cmd.Context(), benchmark.Options{
		Backend: k, Spaces: o.spaces, Sizes: sizes, Items: items, Steps: o.steps, Warmup: o.warmup, Seed: o.seed,
		Progress: func(r benchmark.Result) {
			log.Info("bench", "space", r.Space, "size", r.Size.Name, "item", r.Item, "median_s", fmt.Sprintf("%.4g", r.Step.Median))
		},
	})
	if len(res) > 0 {
		printBench(g.stdout, m, date, res)
		if o.json != "" {
			b, jerr := json.MarshalIndent(benchReport{Date: date, Machine: m, Results: res}, "", "  ")
			if jerr == nil {
				jerr = atomicfile.Write(o.json, append(b, '\n'))
			}
			if jerr != nil {
				return fmt.Errorf("--json: %w", jerr)
			}
		}
	}
	return err
}

// printBench writes the results as an aligned table.
func printBench(w io.Writer, m benchmark.Machine, date string, res []benchmark.Result) {
	commit := m.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if m.Modified {
		commit += "+dirty"
	}
	peak, kind := m.Peak()
	fmt.Fprintf(w, "%s  %s, %d threads, backend %s, commit %s, load average %s\n", date, m.CPU, m.Threads, m.Backend, commit, m.LoadAvg)
	if m.FMAPeakGFLOPS > 0 {
		fmt.Fprintf(w, "peak %.0f GFLOPS measured (FMA loop, %d threads; nominal %.0f: %.0f MHz × %d FLOP/cycle × threads); backend SGEMM 1024³ %.0f GFLOPS\n\n",
			m.FMAPeakGFLOPS, m.Threads, m.PeakGFLOPS, m.MHz, m.FlopsPerCycle, m.SgemmGFLOPS)
	} else {
		fmt.Fprintf(w, "peak %.0f GFLOPS nominal (%.0f MHz × %d FLOP/cycle × threads; not measured); backend SGEMM 1024³ %.0f GFLOPS\n\n",
			m.PeakGFLOPS, m.MHz, m.FlopsPerCycle, m.SgemmGFLOPS)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	pctName := "% peak"
	if kind != "measured" {
		pctName = "% nominal peak"
	}
	fmt.Fprintf(tw, "space\tsize\titem\tmedian s\tmin s\tCPU s\tα s\tw s\tsteps/s\timages/s\tGFLOP\tGFLOPS\t%s\t%% SGEMM\tpeak RSS MB\t\n", pctName)
	for _, r := range res {
		part := func(s *benchmark.Summary) string {
			if s == nil {
				return "-"
			}
			return fmt.Sprintf("%.3f", s.Median)
		}
		imgs := "-"
		if r.ImagesPerSec > 0 {
			imgs = fmt.Sprintf("%.1f", r.ImagesPerSec)
		}
		pct, pctSgemm := "-", "-"
		if peak > 0 {
			pct = fmt.Sprintf("%.1f", 100*r.GFLOPS/peak)
		}
		if m.SgemmGFLOPS > 0 {
			pctSgemm = fmt.Sprintf("%.1f", 100*r.GFLOPS/m.SgemmGFLOPS)
		}
		rss := fmt.Sprintf("%.0f", float64(r.PeakRSS)/(1<<20))
		if !r.RSSReset {
			rss += "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%s\t%s\t%.3f\t%s\t%.2f\t%.1f\t%s\t%s\t%s\t\n",
			r.Space, r.Size.Name, r.Item, r.Step.Median, r.Step.Min, r.CPU.Median, part(r.Alpha), part(r.W), r.StepsPerSec, imgs,
			float64(r.FLOPs)/1e9, r.GFLOPS, pct, pctSgemm, rss)
	}
	tw.Flush()
	for _, r := range res {
		if n := r.RNN; n != nil && r.TokensPerSec > 0 {
			fmt.Fprintf(w, "%s %s %s: %.0f tokens/s (vocabulary %d, %d units, batch %d, BPTT %d; eval: %d units, batch %d)\n",
				r.Space, r.Size.Name, r.Item, r.TokensPerSec, n.Vocab, n.Hidden, n.Batch, n.BPTT, n.EvalHidden, n.EvalBatch)
		}
		if r.Item == benchmark.ItemEigen || r.Item == benchmark.ItemExact {
			fmt.Fprintf(w, "%s %s %s: ev %.6g from %d gradient evaluations (n_α %d)\n", r.Space, r.Size.Name, r.Item, r.EV, r.GradEvals, r.NAlpha)
		}
	}
}
