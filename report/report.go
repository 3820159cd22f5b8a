package report

import (
	"bytes"
	"fmt"
	"html/template"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/space"
)

// Options configure WriteHTML.
type Options struct {
	// Out is the folder written: index.html, img/, results.csv and
	// results.json. It is created if needed; files of an earlier report
	// are overwritten.
	Out string
	// Dot is the Graphviz dot program for the cell drawings: "" looks it up
	// on PATH, "none" never uses it. Without it the cells are drawn by
	// CellSVG, with a warning saying why.
	Dot string
	// Log receives warnings (nil: none are logged; they are still listed on
	// the page).
	Log *slog.Logger
}

// WriteHTML writes the report of runs to o.Out and returns the warnings it
// added to the given ones (a plot that failed, a missing dot). The page is
// self-contained: inline CSS, images under img/ referenced by relative
// paths, no scripts and nothing fetched.
func WriteHTML(runs []*Run, warnings []string, o Options) ([]string, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var added []string
	warn := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		log.Warn(msg)
		added = append(added, msg)
	}
	img := filepath.Join(o.Out, "img")
	if err := os.MkdirAll(img, 0o755); err != nil {
		return nil, err
	}
	dot, note := resolveDot(o.Dot)
	if note != "" {
		warn("%s", note)
	}
	page := pageData{Warnings: append([]string(nil), warnings...)}
	// tryImage makes one image; a failure is a warning and no image.
	tryImage := func(name string, f func(path string) error) string {
		if err := f(filepath.Join(img, name)); err != nil {
			warn("%s: %v", name, err)
			return ""
		}
		return "img/" + name
	}

	labels := runLabels(runs)
	page.Rows = Table(runs)
	page.Corr = Correlations(runs)
	for i, c := range page.Corr {
		name := fmt.Sprintf("scatter-%d.png", i)
		page.Scatters = append(page.Scatters, figure{Src: tryImage(name, func(p string) error { return plotScatter(p, c) }),
			Caption: fmt.Sprintf("%s: Pearson %s, Spearman %s over %d runs", corrName(c), dash(c.Pearson.format(3)), dash(c.Spearman.format(3)), c.N)})
	}
	// Eigenvalue trajectories, overlaid per (space, dataset).
	type sd struct{ space, dataset string }
	var order []sd
	groups := map[sd][]int{}
	for i, r := range runs {
		if len(r.EV()) == 0 {
			continue
		}
		k := sd{r.Config.Space, r.Config.Dataset}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for gi, k := range order {
		var rs []*Run
		var ls []string
		for _, i := range groups[k] {
			rs, ls = append(rs, runs[i]), append(ls, labels[i])
		}
		title := fmt.Sprintf("%s / %s: dominant eigenvalue of the Hessian of L_valid w.r.t. α", k.space, k.dataset)
		name := fmt.Sprintf("eigen-%d-%s-%s.png", gi, safe(k.space), safe(k.dataset))
		page.Eigen = append(page.Eigen, figure{Src: tryImage(name, func(p string) error { return plotEigen(p, title, rs, ls) }),
			Caption: fmt.Sprintf("%s / %s: %d runs; thin line λ per evaluation, thick line the centred average of %d the ES rule compares, marker at the first ES decision, placed at its stop epoch (the epoch whose architecture DARTS-ES returns); dotted: epochs a DARTS-ADA rollback discarded.",
				k.space, k.dataset, len(rs), rs[0].Config.ES.Window)})
	}
	for i, r := range runs {
		page.Runs = append(page.Runs, runSection(i, r, labels[i], dot, tryImage, warn))
	}
	page.Warnings = append(page.Warnings, added...)
	var csvBuf, jsonBuf bytes.Buffer
	if err := WriteCSV(&csvBuf, page.Rows); err != nil {
		return added, err
	}
	if err := WriteJSON(&jsonBuf, runs, page.Warnings); err != nil {
		return added, err
	}
	if err := os.WriteFile(filepath.Join(o.Out, "results.csv"), csvBuf.Bytes(), 0o644); err != nil {
		return added, err
	}
	if err := os.WriteFile(filepath.Join(o.Out, "results.json"), jsonBuf.Bytes(), 0o644); err != nil {
		return added, err
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, page); err != nil {
		return added, err
	}
	return added, os.WriteFile(filepath.Join(o.Out, "index.html"), buf.Bytes(), 0o644)
}

type figure struct{ Src, Caption string }

type fact struct{ Name, Value string }

type runData struct {
	ID, Label, Dir string
	Facts          []fact
	Genotype       string
	Figures        []figure
	Cells          []figure
}

type pageData struct {
	Warnings []string
	Rows     []Row
	Corr     []Correlation
	Scatters []figure
	Eigen    []figure
	Runs     []runData
}

func runSection(i int, r *Run, label, dot string, tryImage func(string, func(string) error) string, warn func(string, ...any)) runData {
	id := fmt.Sprintf("run%02d", i+1)
	d := runData{ID: id, Label: label, Dir: r.Dir, Genotype: r.Genotype}
	c := r.Config
	status := "finished"
	if !r.Finished {
		status = "unfinished (no result.json)"
	}
	d.Facts = []fact{
		{"method", strings.TrimSpace(r.Method() + " " + paren(r.Setting()))},
		{"space / dataset", c.Space + " / " + c.Dataset},
		{"seed", fmt.Sprint(c.Seed)},
		{"epochs recorded", fmt.Sprintf("%d of %d (%s)", len(r.Epochs), c.Epochs, status)},
		{"build", r.Build()},
		{"search setup", fmt.Sprintf("order %d, %d cells, %d channels, batch %d, weight decay %g, drop path %g", c.Order, c.Layers, c.Channels, c.BatchSize, c.WeightDecay, c.DropPath)},
	}
	if r.Finished {
		d.Facts = append(d.Facts, fact{"one-shot valid error", fmt.Sprintf("%.2f %% (epoch %d)", r.ValidError, r.ResultEpoch)})
	}
	if m := r.MemberValue(); m != "" {
		sel := "no selection retraining found"
		if sc, ok := r.SelectScore(); ok {
			sel = fmt.Sprintf("held-out accuracy %.2f %% after the selection retraining (%s, %s)", sc, r.Select.Dir, r.Select.EvalSet)
		}
		chosen := "not chosen"
		if r.Chosen {
			chosen = "CHOSEN"
		}
		d.Facts = append(d.Facts, fact{"R-DARTS member", fmt.Sprintf("%s — %s; %s", m, sel, chosen)})
	}
	if t, ok := r.TestError(); ok {
		var dirs []string
		for _, x := range r.Retrain {
			dirs = append(dirs, x.Dir)
		}
		d.Facts = append(d.Facts, fact{"retrained test error", fmt.Sprintf("%.2f %% (%s)", t, strings.Join(dirs, ", "))})
	}
	if e, ok := r.FinalEV(); ok {
		d.Facts = append(d.Facts, fact{"λ at the result epoch", fmt.Sprintf("%.5g", e)})
	}
	var evs []string
	for _, e := range r.Events() {
		evs = append(evs, fmt.Sprintf("%s at epoch %d → epoch %d (iteration %d)", e.Kind, e.At, e.StopEpoch, e.Iteration))
	}
	if len(evs) > 0 {
		d.Facts = append(d.Facts, fact{"ES / ADA decisions", strings.Join(evs, "; ")})
	} else if c.HessianEvery > 0 {
		d.Facts = append(d.Facts, fact{"ES / ADA decisions", "none (the rule never fired)"})
	}

	add := func(name, caption string, f func(string) error) {
		if src := tryImage(name, f); src != "" {
			d.Figures = append(d.Figures, figure{Src: src, Caption: caption})
		}
	}
	add(id+"-curves.png", "Learning curves; dashed grey lines mark the first ES stop epoch and every epoch DARTS-ADA rolled back to.", func(p string) error { return plotCurves(p, r) })
	if hasRetrainCurve(r) {
		add(id+"-retrain.png", "Retraining: test error (solid) and train error (dashed) per epoch.", func(p string) error {
			_, err := plotRetrain(p, r)
			return err
		})
	}
	sp, err := space.Get(c.Space)
	if err != nil {
		warn("%s: %v", r.Dir, err)
		return d
	}
	add(id+"-paramfree.png", "Weight of parameter-free ops per epoch: mean over edges of softmax(α) on skip_connect, pools, none and noise.", func(p string) error { return plotParamFree(p, r, sp) })
	chosen := chooseEpochs(r.Epochs)
	var eps []string
	for _, m := range chosen {
		eps = append(eps, fmt.Sprint(m.Epoch))
	}
	for _, reduce := range []bool{false, true} {
		kind := map[bool]string{false: "normal", true: "reduce"}[reduce]
		add(fmt.Sprintf("%s-alpha-%s.png", id, kind), fmt.Sprintf("softmax(α) of the %s cell at epochs %s (rows: edges, node ← input; columns: ops).", kind, strings.Join(eps, ", ")),
			func(p string) error { return plotAlpha(p, r, sp, reduce, chosen) })
	}
	g, err := space.Parse(r.Genotype)
	if err != nil {
		warn("%s: genotype: %v; no cell drawings", r.Dir, err)
		return d
	}
	for _, reduce := range []bool{false, true} {
		kind := map[bool]string{false: "normal", true: "reduction"}[reduce]
		name := fmt.Sprintf("%s-cell-%s.svg", id, kind)
		src := tryImage(name, func(p string) error {
			var svg []byte
			if dot != "" {
				var err error
				if svg, err = dotSVG(dot, CellDOT(g, reduce)); err != nil {
					warn("%s: %v; drawn without Graphviz", name, err)
				}
			}
			if svg == nil {
				svg = CellSVG(g, reduce)
			}
			return os.WriteFile(p, svg, 0o644)
		})
		if src != "" {
			d.Cells = append(d.Cells, figure{Src: src, Caption: kind + " cell"})
		}
	}
	return d
}

func hasRetrainCurve(r *Run) bool {
	for _, t := range r.Retrain {
		if len(t.Curve) > 0 {
			return true
		}
	}
	return false
}

// chooseEpochs picks the first, middle and last recorded epoch (fewer if
// they coincide).
func chooseEpochs(ep []search.Metrics) []search.Metrics {
	if len(ep) == 0 {
		return nil
	}
	var out []search.Metrics
	for _, i := range []int{0, (len(ep) - 1) / 2, len(ep) - 1} {
		if len(out) == 0 || out[len(out)-1].Epoch != ep[i].Epoch {
			out = append(out, ep[i])
		}
	}
	return out
}

// runLabels names runs for legends: method, setting and seed, with the
// folder's name added where that is ambiguous.
func runLabels(runs []*Run) []string {
	labels := make([]string, len(runs))
	count := map[string]int{}
	for i, r := range runs {
		labels[i] = strings.TrimSpace(fmt.Sprintf("%s %s seed %d", r.Method(), paren(r.Setting()), r.Config.Seed))
		count[labels[i]]++
	}
	for i, r := range runs {
		if count[labels[i]] > 1 {
			labels[i] += " [" + filepath.Base(filepath.Clean(r.Dir)) + "]"
		}
	}
	return labels
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func corrName(c Correlation) string {
	if c.Space == "" {
		return "all runs"
	}
	return c.Space + " / " + c.Dataset
}

// safe keeps letters, digits, '-' and '_' for file names.
func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"pm":   pm,
	"num":  func(n Num, prec int) string { return dash(n.format(prec)) },
	"dash": dash,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rdarts report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 78em; color: #222; padding: 0 1em; }
h1, h2, h3 { font-weight: 600; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
table.results td { white-space: nowrap; }
table.facts th { white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.warn { background: #fff4e0; border: 1px solid #e0b060; padding: .5em 1em; }
figure { display: inline-block; margin: .5em 1em .5em 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .85em; color: #555; max-width: 40em; }
code { font-size: .85em; word-break: break-all; }
nav a { margin-right: 1em; }
</style>
</head>
<body>
<h1>rdarts report</h1>
<nav><a href="#results">results</a><a href="#eigen">eigenvalues</a>{{range .Runs}}<a href="#{{.ID}}">{{.ID}}</a>{{end}}</nav>
{{if .Warnings}}<div class="warn"><strong>Warnings</strong><ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul></div>{{end}}

<h2 id="results">Results</h2>
<p>Finished runs grouped by space, dataset and method; errors in percent, mean ± sample std over runs (seeds).
One-shot valid error: the search network's error on the α half at the result epoch. Test error: the retrained
architecture (when a retraining result was found). λ at ES stop: the dominant eigenvalue where the DARTS-ES rule first
fires. Param-free share: the fraction of the normal cell's 8 edges that are parameter-free operations (skip, pooling,
noise, none). Paper: RobustDARTS (ICLR 2020) test errors, the main table and,
where reported, mean ± std over runs. Also as <a href="results.csv">results.csv</a> and <a href="results.json">results.json</a>.</p>
{{if .Rows}}<table class="results">
<tr><th>space</th><th>dataset</th><th>method</th><th>setting</th><th>runs</th><th>seeds</th><th>one-shot valid error</th><th>test error (n)</th><th>final λ</th><th>λ at ES stop</th><th>param-free share, normal cell</th><th>paper test error</th><th>paper mean ± std</th></tr>
{{range .Rows}}<tr><td>{{.Space}}</td><td>{{.Dataset}}</td><td>{{.Method}}</td><td>{{dash .Setting}}</td><td class="n">{{.Runs}}</td><td>{{range $i, $s := .Seeds}}{{if $i}} {{end}}{{$s}}{{end}}</td>
<td class="n">{{pm .ValidErr .ValidErrStd}}</td><td class="n">{{if .Tested}}{{pm .TestErr .TestErrStd}} ({{.Tested}}){{else}}—{{end}}</td>
<td class="n">{{num .EV 4}}</td><td class="n">{{num .StopEV 4}}</td><td class="n">{{num .ParamFree 2}}</td><td class="n">{{num .PaperBest 2}}</td><td class="n">{{pm .PaperMean .PaperStd}}</td></tr>
{{end}}</table>{{else}}<p>No finished runs.</p>{{end}}

<h3>Eigenvalue ↔ test error</h3>
{{if .Corr}}<table><tr><th>runs</th><th>n</th><th>Pearson</th><th>Spearman</th></tr>
{{range .Corr}}<tr><td>{{if .Space}}{{.Space}} / {{.Dataset}}{{else}}all{{end}}</td><td class="n">{{.N}}</td><td class="n">{{num .Pearson 3}}</td><td class="n">{{num .Spearman 3}}</td></tr>
{{end}}</table>
{{range .Scatters}}{{if .Src}}<figure><img src="{{.Src}}" alt="{{.Caption}}"><figcaption>{{.Caption}}</figcaption></figure>{{end}}{{end}}
{{else}}<p>No retraining results among these runs: nothing to correlate yet.</p>{{end}}

<h2 id="eigen">Eigenvalue trajectories</h2>
{{range .Eigen}}{{if .Src}}<figure><img src="{{.Src}}" alt="{{.Caption}}"><figcaption>{{.Caption}}</figcaption></figure>{{end}}{{else}}<p>No run recorded eigenvalues (search with --hessian-every).</p>{{end}}

{{range .Runs}}
<h2 id="{{.ID}}">{{.ID}}: {{.Label}}</h2>
<p><code>{{.Dir}}</code></p>
<table class="facts">{{range .Facts}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>{{end}}
<tr><th>genotype</th><td><code>{{.Genotype}}</code></td></tr></table>
{{range .Cells}}<figure><img src="{{.Src}}" alt="{{.Caption}}"><figcaption>{{.Caption}}</figcaption></figure>{{end}}
<br>
{{range .Figures}}<figure><img src="{{.Src}}" alt="{{.Caption}}"><figcaption>{{.Caption}}</figcaption></figure>{{end}}
{{end}}
</body>
</html>
`))

// resolveDot is the Graphviz program the cell drawings use for an
// Options.Dot value ("" when none: the cells are drawn without it) and
// the warning to give when there is none.
func resolveDot(dot string) (path, warning string) {
	switch dot {
	case "none":
		return "", "cell drawings: Graphviz disabled (--dot none); drawn without it"
	case "":
		p, err := exec.LookPath("dot")
		if err != nil {
			return "", "cell drawings: Graphviz dot not found on PATH (install graphviz); drawn without it"
		}
		return p, ""
	}
	return dot, ""
}
