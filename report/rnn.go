package report

import (
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/rdarts/rdarts/rnnsearch"
	"github.com/rdarts/rdarts/space"
)

// PaperPTB are the paper's Penn Treebank test perplexities of the DARTS
// recurrent space (its table of DARTS against R-DARTS(L2) on the original
// DARTS spaces).
var PaperPTB = struct{ DARTS, RDARTSL2 float64 }{58.64, 57.59}

// WriteRNN writes the report of a recurrent search run folder (rdarts
// search --space rnn) to out: index.html with the training and validation
// perplexity per epoch, the eigenvalue trajectory when the run computed
// it, the final cell (cell.svg) and the paper's
// PTB numbers for reference; img/ holds the plots. The cell is drawn by
// Graphviz with dot (a resolved path, see resolveDot) and without it when
// dot is "" or fails. It fails on a folder that holds no recurrent run.
func WriteRNN(run, out, dot string) error {
	cfg, err := rnnsearch.LoadConfig(run)
	if err != nil {
		return err
	}
	ms, err := rnnsearch.ReadMetrics(run)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return fmt.Errorf("%s: no epoch recorded yet", run)
	}
	if err := os.MkdirAll(filepath.Join(out, "img"), 0o755); err != nil {
		return err
	}
	xs := make([]float64, len(ms))
	train, valid := make([]float64, len(ms)), make([]float64, len(ms))
	var ex, ev []float64
	var esNotes []string
	for i, m := range ms {
		xs[i], train[i], valid[i] = float64(m.Epoch), m.TrainPPL, m.ValidPPL
		if m.EV != nil {
			ex, ev = append(ex, float64(m.Epoch)), append(ev, *m.EV)
		}
	}
	p := newPlot("perplexity", "epoch", "perplexity")
	lt, lv := line(xs, train, plotutil.Color(0), vg.Points(1.5), false), line(xs, valid, plotutil.Color(1), vg.Points(1.5), false)
	p.Add(lt, lv)
	p.Legend.Add("training (dropout on)", lt)
	p.Legend.Add("validation", lv)
	if err := savePNG(filepath.Join(out, "img", "perplexity.png"), 6.5*vg.Inch, 3.6*vg.Inch, [][]*plot.Plot{{p}}); err != nil {
		return err
	}
	hasEV := len(ev) > 0
	if hasEV {
		q := newPlot("dominant eigenvalue of ∇²_α L_val", "epoch", "λ_max")
		q.Add(line(ex, ev, plotutil.Color(2), vg.Points(1.5), false))
		for _, m := range ms {
			if e := m.Event; e != nil { // DARTS-ES' decision: a line at the epoch it names
				vline(q, float64(e.Epoch), grey)
				_, label := eventStyle(e.Kind)
				esNotes = append(esNotes, fmt.Sprintf("epoch %d: %s %d", m.Epoch, label, e.Epoch))
			}
		}
		if err := savePNG(filepath.Join(out, "img", "eigenvalue.png"), 6.5*vg.Inch, 3.2*vg.Inch, [][]*plot.Plot{{q}}); err != nil {
			return err
		}
	}
	last := ms[len(ms)-1]
	geno, answer := last.Genotype, fmt.Sprintf("epoch %d (last recorded)", last.Epoch)
	if res, err := rnnsearch.ReadResult(run); err == nil {
		geno, answer = res.Genotype, fmt.Sprintf("epoch %d (%s, finished)", res.Epoch, res.Method)
	}
	g, err := space.ParseRNN(geno)
	if err != nil {
		return fmt.Errorf("%s: genotype: %w", run, err)
	}
	svg := RNNCellSVG(g)
	if dot != "" {
		if b, err := dotSVG(dot, RNNCellDOT(g)); err == nil {
			svg = b
		}
	}
	if err := os.WriteFile(filepath.Join(out, "cell.svg"), svg, 0o644); err != nil {
		return err
	}
	page := rnnPage{Run: run, Epochs: len(ms), Answer: answer, Genotype: g.String(), HasEV: hasEV, ESNotes: esNotes,
		TrainPPL: last.TrainPPL, ValidPPL: last.ValidPPL, Cfg: cfg, PaperDARTS: PaperPTB.DARTS, PaperRDARTS: PaperPTB.RDARTSL2}
	if math.IsInf(page.ValidPPL, 0) || math.IsNaN(page.ValidPPL) {
		page.ValidPPL = 0
	}
	f, err := os.Create(filepath.Join(out, "index.html"))
	if err != nil {
		return err
	}
	if err := rnnTemplate.Execute(f, page); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type rnnPage struct {
	Run, Answer, Genotype   string
	Epochs                  int
	HasEV                   bool
	ESNotes                 []string // DARTS-ES' decisions, one line each
	TrainPPL, ValidPPL      float64
	Cfg                     rnnsearch.Config
	PaperDARTS, PaperRDARTS float64
}

var rnnTemplate = template.Must(template.New("rnn").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>rdarts recurrent search: {{.Run}}</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}code{font-size:90%}td,th{padding:.2em .8em;text-align:left}</style>
</head><body>
<h1>Recurrent search: {{.Run}}</h1>
<p>{{.Epochs}} epochs recorded of {{.Cfg.Epochs}}; {{.Cfg.Hidden}} units, batch {{.Cfg.BatchSize}}, BPTT {{.Cfg.BPTT}},
order {{.Cfg.Order}}, {{with .Cfg.Method}}method {{.}}, {{end}}weight decay {{.Cfg.WeightDecay}}, corpus <code>{{.Cfg.Data}}</code>.
Last epoch: training perplexity {{printf "%.2f" .TrainPPL}}, validation perplexity {{printf "%.2f" .ValidPPL}}
(the one-shot model in evaluation mode; see docs/recurrent.md on its batch norm).</p>
<h2>Cell: {{.Answer}}</h2>
<p><code>{{.Genotype}}</code></p>
<p><img src="cell.svg" alt="recurrent cell"></p>
<h2>Perplexity</h2>
<p><img src="img/perplexity.png" alt="perplexity per epoch"></p>
{{if .HasEV}}<h2>Dominant eigenvalue</h2>
<p><img src="img/eigenvalue.png" alt="dominant eigenvalue per epoch"></p>
{{if .ESNotes}}<p>DARTS-ES (grey lines): {{range $i, $n := .ESNotes}}{{if $i}}; {{end}}{{$n}}{{end}}.</p>{{end}}{{end}}
<h2>The paper's PTB numbers</h2>
<table><tr><th>method</th><th>test perplexity</th></tr>
<tr><td>DARTS</td><td>{{.PaperDARTS}}</td></tr><tr><td>R-DARTS(L2)</td><td>{{.PaperRDARTS}}</td></tr></table>
<p>Those are after retraining the cell on PTB (rdarts train); the perplexities above are the search's.</p>
</body></html>
`))
