package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/rnnsearch"
)

// RNNRow is one recurrent run folder in the results table: a search
// (rdarts search --space rnn) or a retraining of a recurrent genotype.
type RNNRow struct {
	Dir      string `json:"dir"`
	Kind     string `json:"kind"`    // search or retrain
	Method   string `json:"method"`  // DARTS, DARTS-ES, R-DARTS(L2); "" for a retraining
	Setting  string `json:"setting"` // e.g. wd=1.5e-06, chosen
	Epochs   int    `json:"epochs"`  // recorded
	Finished bool   `json:"finished"`
	// ValidPPL is a search's validation perplexity at its answer (the last
	// epoch recorded while it runs), or the best retrained weights'.
	ValidPPL Num    `json:"valid_ppl"`
	TestPPL  Num    `json:"test_ppl"` // a finished retraining's; missing for a search
	Genotype string `json:"genotype"`
	Paper    bool   `json:"paper,omitempty"` // the paper's number, not a run
}

// PaperPTBRows are the paper's PTB row as results-table lines.
func PaperPTBRows() []RNNRow {
	return []RNNRow{
		{Dir: "paper (Zela et al. 2020, PTB)", Kind: "retrain", Method: "DARTS", TestPPL: Num(PaperPTB.DARTS), ValidPPL: nan(), Finished: true, Paper: true},
		{Dir: "paper (Zela et al. 2020, PTB)", Kind: "retrain", Method: "R-DARTS(L2)", TestPPL: Num(PaperPTB.RDARTSL2), ValidPPL: nan(), Finished: true, Paper: true},
	}
}

// LoadRNN reads recurrent run folders (rnnsearch.IsRun) into rows: the
// folders given, and the retrainings found one level inside a search
// folder (an R-DARTS(L2) member's select/). A folder that cannot be read
// is skipped with a warning.
func LoadRNN(dirs []string) (rows []RNNRow, warnings []string) {
	seen := map[string]bool{}
	var add func(dir string, nested bool)
	add = func(dir string, nested bool) {
		abs, _ := filepath.Abs(dir)
		if seen[abs] {
			return
		}
		seen[abs] = true
		row, err := loadRNNRow(dir)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: skipped: %v", dir, err))
			return
		}
		rows = append(rows, row)
		if row.Kind != "search" || nested {
			return
		}
		subs, _ := os.ReadDir(dir)
		for _, s := range subs {
			if sub := filepath.Join(dir, s.Name()); s.IsDir() && rnnsearch.IsRun(sub) {
				add(sub, true)
			}
		}
	}
	for _, d := range dirs {
		add(d, false)
	}
	return rows, warnings
}

// loadRNNRow reads one recurrent folder: a search's config decodes
// strictly as rnnsearch.Config, a retraining's as RetrainConfig.
func loadRNNRow(dir string) (RNNRow, error) {
	if cfg, err := rnnsearch.LoadConfig(dir); err == nil {
		ms, err := rnnsearch.ReadMetrics(dir)
		if err != nil {
			return RNNRow{}, err
		}
		row := RNNRow{Dir: dir, Kind: "search", Epochs: len(ms), ValidPPL: nan(), TestPPL: nan()}
		row.Method, row.Setting = rnnMethod(dir, cfg)
		if len(ms) > 0 {
			row.ValidPPL, row.Genotype = Num(ms[len(ms)-1].ValidPPL), ms[len(ms)-1].Genotype
		}
		if res, err := rnnsearch.ReadResult(dir); err == nil {
			row.Finished, row.ValidPPL, row.Genotype = true, Num(res.ValidPPL), res.Genotype
		}
		return row, nil
	}
	cfg, err := rnnsearch.LoadRetrainConfig(dir)
	if err != nil {
		return RNNRow{}, err
	}
	ms, err := rnnsearch.ReadRetrainMetrics(dir)
	if err != nil {
		return RNNRow{}, err
	}
	row := RNNRow{Dir: dir, Kind: "retrain", Epochs: len(ms), ValidPPL: nan(), TestPPL: nan(), Genotype: cfg.Genotype}
	if filepath.Base(dir) == "select" {
		row.Setting = "R-DARTS selection"
	}
	if res, err := rnnsearch.ReadRetrainResult(dir); err == nil {
		row.Finished, row.ValidPPL, row.TestPPL = true, Num(res.ValidPPL), Num(res.TestPPL)
	}
	return row, nil
}

// rnnMethod names a recurrent search's method as the paper does: a member
// of an R-DARTS(L2) group (its parent's result.json lists it) is
// R-DARTS(L2) with its weight decay, "chosen" if the group chose it.
func rnnMethod(dir string, cfg rnnsearch.Config) (method, setting string) {
	method = "DARTS"
	if cfg.Method == "darts-es" && !cfg.ESSimulate {
		method = "DARTS-ES"
	} else if cfg.Method == "darts-es" {
		setting = "ES simulated"
	}
	var group rnnsearch.L2Result
	if runfolder.ReadJSON(filepath.Join(filepath.Dir(dir), runfolder.ResultFile), &group) != nil {
		return method, setting
	}
	for i, m := range group.Members {
		if filepath.Base(m.Dir) == filepath.Base(dir) {
			setting = "wd=" + strconv.FormatFloat(m.WeightDecay, 'g', -1, 64)
			if i == group.Chosen {
				setting += ", chosen"
			}
			return "R-DARTS(L2)", setting
		}
	}
	return method, setting
}

var rnnColumns = []string{"kind", "method", "setting", "epochs", "finished", "valid_ppl", "test_ppl", "dir", "genotype"}

func (r RNNRow) fields() []string {
	epochs, finished := strconv.Itoa(r.Epochs), strconv.FormatBool(r.Finished)
	if r.Paper {
		epochs, finished = "", ""
	}
	return []string{r.Kind, r.Method, r.Setting, epochs, finished, r.ValidPPL.format(2), r.TestPPL.format(2), r.Dir, r.Genotype}
}

// WriteRNNText writes the recurrent results table, the paper's PTB row
// last, with tabs aligned.
func WriteRNNText(w io.Writer, rows []RNNRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Recurrent space (test perplexity after retraining; the paper's on PTB)")
	fmt.Fprintln(tw, strings.Join(rnnColumns[:8], "\t"))
	for _, r := range append(rows, PaperPTBRows()...) {
		f := r.fields()
		for i := range f[:8] {
			f[i] = dash(f[i])
		}
		fmt.Fprintln(tw, strings.Join(f[:8], "\t"))
	}
	return tw.Flush()
}

// WriteRNNCSV writes the recurrent results table as CSV, the paper's PTB
// row last.
func WriteRNNCSV(w io.Writer, rows []RNNRow) error {
	cw := csv.NewWriter(w)
	cw.Write(rnnColumns)
	for _, r := range append(rows, PaperPTBRows()...) {
		cw.Write(r.fields())
	}
	cw.Flush()
	return cw.Error()
}

// WriteRNNHTML writes the recurrent runs' pages to out: one page per
// search (WriteRNN, in out/<name>/) and out/index.html with the results
// table (the paper's PTB row included) linking to them. dot is as
// Options.Dot.
func WriteRNNHTML(rows []RNNRow, warnings []string, out, dot string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	dot, note := resolveDot(dot)
	if note != "" {
		warnings = append(warnings, note)
	}
	type line struct {
		RNNRow
		Page                    string
		Valid, Test, EpochsText string
	}
	var lines []line
	used := map[string]int{}
	for _, r := range append(rows, PaperPTBRows()...) {
		l := line{RNNRow: r, Valid: dash(r.ValidPPL.format(2)), Test: dash(r.TestPPL.format(2)), EpochsText: strconv.Itoa(r.Epochs)}
		if r.Kind == "search" {
			name := safe(filepath.Base(r.Dir))
			if used[name]++; used[name] > 1 {
				name = fmt.Sprintf("%s-%d", name, used[name])
			}
			if err := WriteRNN(r.Dir, filepath.Join(out, name), dot); err != nil {
				warnings = append(warnings, fmt.Sprintf("%s: no page: %v", r.Dir, err))
			} else {
				l.Page = name + "/index.html"
			}
		}
		if r.Paper {
			l.EpochsText = "—"
		}
		lines = append(lines, l)
	}
	f, err := os.Create(filepath.Join(out, "index.html"))
	if err != nil {
		return err
	}
	if err := rnnIndexTemplate.Execute(f, struct {
		Lines    []line
		Warnings []string
	}{lines, warnings}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var rnnIndexTemplate = template.Must(template.New("rnnindex").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>rdarts: recurrent runs</title>
<style>body{font-family:sans-serif;max-width:72em;margin:2em auto;line-height:1.4}code{font-size:85%}td,th{padding:.2em .8em;text-align:left}</style>
</head><body>
<h1>Recurrent space: results</h1>
<p>Validation perplexity is a search's at its answer (the one-shot model) or the best retrained
weights'; test perplexity is a finished retraining's. The paper's numbers are Penn Treebank test
perplexities after retraining (its table on the original DARTS spaces).</p>
<table><tr><th>kind</th><th>method</th><th>setting</th><th>epochs</th><th>valid ppl</th><th>test ppl</th><th>run</th></tr>
{{range .Lines}}<tr><td>{{.Kind}}</td><td>{{.Method}}</td><td>{{.Setting}}</td><td>{{.EpochsText}}</td><td>{{.Valid}}</td><td>{{.Test}}</td>
<td>{{if .Page}}<a href="{{.Page}}">{{.Dir}}</a>{{else}}{{.Dir}}{{end}}</td></tr>
{{end}}</table>
{{if .Warnings}}<h2>Warnings</h2><ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// WriteRNNJSON writes the recurrent results (the paper's PTB row last) and
// the warnings as one JSON object.
func WriteRNNJSON(w io.Writer, rows []RNNRow, warnings []string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Recurrent []RNNRow `json:"recurrent"`
		Warnings  []string `json:"warnings"`
	}{append(rows, PaperPTBRows()...), append([]string{}, warnings...)})
}

func nan() Num { return Num(math.NaN()) }
