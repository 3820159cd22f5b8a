package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rdarts/rdarts/report"
	"github.com/rdarts/rdarts/rnnsearch"
)

type reportOptions struct {
	dirs   []string
	out    string
	format string
	dot    string
}

func newCmdReport(g *globals) *cobra.Command {
	o := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report RUN_DIR...",
		Short: "HTML report, results table and plots of search (and retraining) run folders",
		Long: `Read search run folders (and retraining folders: any with a test_error in result.json,
found inside a search folder or given on the command line) and report on them.

--format html (default) writes to --out: index.html (self-contained, readable offline), img/ with
the plots (eigenvalue trajectories with the ES rule's centred averages and stop markers, softmax(α)
heat maps, weight of parameter-free ops, learning curves, eigenvalue ↔ test-error scatter) and the
cell drawings (Graphviz dot if installed, else drawn directly), results.csv and results.json.
--format text, csv or json prints the results table to standard output.

A folder that is missing or half-written (no config.json, truncated metrics.jsonl) is skipped with
a warning naming it.

Recurrent run folders (rdarts search --space rnn, rdarts train on a recurrent genotype, the
members of rdarts robust --space rnn; retrainings inside a search folder are found too) get their
own table: method, validation and test perplexity, with the paper's PTB row (test perplexity
58.64 DARTS, 57.59 R-DARTS(L2)). In HTML, each search gets a page (perplexity curves, the
eigenvalue trajectory, the recurrent cell) under --out, or --out/rnn when convolutional runs are
reported too.`,
		Example: `  rdarts report runs/s2-* --out report
  rdarts report runs/* --format text
  rdarts report runs/rnn runs/rnn-train --out report-rnn`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dirs = args
			return runReport(g, o)
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "report", "folder for --format html")
	cmd.Flags().StringVar(&o.format, "format", "html", "html, text, csv or json")
	cmd.Flags().StringVar(&o.dot, "dot", "", `Graphviz dot program for cell drawings ("" = from PATH, "none" = draw without it)`)
	return cmd
}

func runReport(g *globals, o *reportOptions) error {
	switch o.format {
	case "html", "text", "csv", "json":
	default:
		return usageErr("--format: %q is not one of html, text, csv, json", o.format)
	}
	log := g.logger()
	var cnn, rnn []string
	for _, d := range o.dirs {
		if rnnsearch.IsRun(d) {
			rnn = append(rnn, d)
		} else {
			cnn = append(cnn, d)
		}
	}
	if len(rnn) > 0 && len(cnn) > 0 && (o.format == "csv" || o.format == "json") {
		return usageErr("--format %s: give the recurrent folders (%s, ...) and the convolutional ones (%s, ...) in two reports", o.format, rnn[0], cnn[0])
	}
	if len(rnn) > 0 {
		if err := reportRNN(g, o, rnn, len(cnn) > 0); err != nil || len(cnn) == 0 {
			return err
		}
	}
	runs, warnings := report.Load(cnn, log)
	if len(runs) == 0 {
		return fmt.Errorf("none of the %d folders given holds a readable search run", len(cnn))
	}
	switch o.format {
	case "text":
		return report.WriteText(g.stdout, report.Table(runs), report.Correlations(runs))
	case "csv":
		return report.WriteCSV(g.stdout, report.Table(runs))
	case "json":
		return report.WriteJSON(g.stdout, runs, warnings)
	}
	added, err := report.WriteHTML(runs, warnings, report.Options{Out: o.out, Dot: o.dot, Log: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "report: %s (%d runs, %d warnings)\n", filepath.Join(o.out, "index.html"), len(runs), len(warnings)+len(added))
	return nil
}

// reportRNN reports on recurrent run folders: their table (the paper's PTB
// row included) or their pages, in --out, or in --out/rnn when
// convolutional runs share the report.
func reportRNN(g *globals, o *reportOptions, dirs []string, mixed bool) error {
	rows, warnings := report.LoadRNN(dirs)
	for _, w := range warnings {
		g.logger().Warn(w)
	}
	if len(rows) == 0 {
		return fmt.Errorf("none of the %d recurrent folders given is readable", len(dirs))
	}
	switch o.format {
	case "text":
		return report.WriteRNNText(g.stdout, rows)
	case "csv":
		return report.WriteRNNCSV(g.stdout, rows)
	case "json":
		return report.WriteRNNJSON(g.stdout, rows, warnings)
	}
	out := o.out
	if mixed {
		out = filepath.Join(o.out, "rnn")
	}
	if err := report.WriteRNNHTML(rows, warnings, out, o.dot); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "report: %s (%d recurrent runs, %d warnings)\n", filepath.Join(out, "index.html"), len(rows), len(warnings))
	return nil
}
