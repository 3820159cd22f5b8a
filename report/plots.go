package report

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/space"
)

// savePNG lays plots out on a grid (rows × columns, nil cells left empty)
// and writes one PNG of w × h.
func savePNG(path string, w, h vg.Length, plots [][]*plot.Plot) error {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	t := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, t, dc)
	for i, row := range plots {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.X.Tick.Marker, p.Y.Tick.Marker = distinctTicks{plot.DefaultTicks{}}, distinctTicks{plot.DefaultTicks{}}
	if x == "epoch" {
		p.X.Tick.Marker = epochTicks{}
	}
	return p
}

// epochTicks labels whole epochs as integers ("25", not "25.00").
type epochTicks struct{}

func (epochTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" && ts[i].Value == math.Trunc(ts[i].Value) {
			ts[i].Label = strconv.Itoa(int(ts[i].Value))
		}
	}
	return ts
}

// distinctTicks relabels gonum's default ticks with more digits when two
// labels would read the same (a narrow range such as 2.25 and 2.30 both
// shown as "2.3").
type distinctTicks struct{ plot.Ticker }

func (d distinctTicks) Ticks(min, max float64) []plot.Tick {
	ts := d.Ticker.Ticks(min, max)
	distinct := func() bool {
		seen := map[string]bool{}
		for _, t := range ts {
			if t.Label != "" {
				if seen[t.Label] {
					return false
				}
				seen[t.Label] = true
			}
		}
		return true
	}
	for prec := 2; prec <= 12 && !distinct(); prec++ {
		for i := range ts {
			if ts[i].Label != "" {
				ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', prec, 64)
			}
		}
	}
	return ts
}

func line(xs, ys []float64, c color.Color, width vg.Length, dashed bool) *plotter.Line {
	pts := make(plotter.XYs, len(xs))
	for i := range xs {
		pts[i].X, pts[i].Y = xs[i], ys[i]
	}
	l, _ := plotter.NewLine(pts)
	l.Color, l.Width = c, width
	if dashed {
		l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
	}
	return l
}

// vline draws a vertical marker over the plot's current y range (call it
// after the data is added).
func vline(p *plot.Plot, x float64, c color.Color) {
	l := line([]float64{x, x}, []float64{p.Y.Min, p.Y.Max}, c, vg.Points(1), true)
	p.Add(l)
}

var (
	grey  = color.RGBA{120, 120, 120, 255}
	black = color.Black
)

// eventStyle is the marker of a DARTS-ES or ADA decision.
func eventStyle(kind string) (draw.GlyphDrawer, string) {
	switch kind {
	case "es-stop":
		return draw.CircleGlyph{}, "ES stop (epoch of result)"
	case "ada-rollback":
		return draw.TriangleGlyph{}, "ADA rollback to"
	}
	return draw.RingGlyph{}, "ES would stop"
}

// plotEigen overlays the eigenvalue trajectories of runs: λ per evaluated
// epoch (thin), its centred local average (thick), DARTS-ADA's discarded
// iterations (dotted) and a marker at each run's first ES decision, placed
// at the stop epoch on the local average.
func plotEigen(path, title string, runs []*Run, labels []string) error {
	p := newPlot(title, "epoch", "dominant eigenvalue λ")
	seen := map[string]bool{}
	for i, r := range runs {
		c := plotutil.Color(i)
		ev := r.EV()
		if len(ev) == 0 {
			continue
		}
		xs, ys := make([]float64, len(ev)), make([]float64, len(ev))
		for j, e := range ev {
			xs[j], ys[j] = float64(e.Epoch), e.EV
		}
		ma := r.Smoothed()
		// Discarded DARTS-ADA iterations, from the full log.
		for it := 0; it < iterations(r); it++ {
			var dx, dy []float64
			for _, m := range r.Log {
				if m.Iteration == it && m.EV != nil {
					dx, dy = append(dx, float64(m.Epoch)), append(dy, *m.EV)
				}
			}
			if len(dx) > 1 {
				l := line(dx, dy, c, vg.Points(0.7), true)
				l.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
				p.Add(l)
			}
		}
		raw := line(xs, ys, c, vg.Points(0.7), false)
		sc, _ := plotter.NewScatter(xyOf(xs, ys))
		sc.Color, sc.Radius, sc.Shape = c, vg.Points(1.5), draw.CircleGlyph{}
		avg := line(xs, ma, c, vg.Points(2.2), false)
		p.Add(raw, sc, avg)
		p.Legend.Add(labels[i], avg)
		if e, ok := r.FirstStop(); ok {
			y := ys[len(ys)-1]
			for j, x := range xs {
				if int(x) <= e.StopEpoch {
					y = ma[j]
				}
			}
			m, _ := plotter.NewScatter(plotter.XYs{{X: float64(e.StopEpoch), Y: y}})
			shape, name := eventStyle(e.Kind)
			m.Shape, m.Color, m.Radius = shape, c, vg.Points(5)
			p.Add(m)
			if !seen[name] {
				seen[name] = true
				k, _ := plotter.NewScatter(plotter.XYs{{}})
				k.Shape, k.Color, k.Radius = shape, black, vg.Points(4)
				p.Legend.Add(name, k)
			}
		}
	}
	p.Legend.Add("λ (thin), centred average (thick)", line(nil, nil, black, vg.Points(2.2), false))
	headroom(p, len(runs)+len(seen)+1)
	h := 3.6*vg.Inch + vg.Length(len(runs))*0.12*vg.Inch
	return savePNG(path, 6.5*vg.Inch, h, [][]*plot.Plot{{p}})
}

func iterations(r *Run) int {
	n := 0
	for _, m := range r.Log {
		n = max(n, m.Iteration)
	}
	return n // iterations 0..n-1 are the discarded ones
}

func xyOf(xs, ys []float64) plotter.XYs {
	pts := make(plotter.XYs, len(xs))
	for i := range xs {
		pts[i].X, pts[i].Y = xs[i], ys[i]
	}
	return pts
}

// alphaGrid is one cell kind's softmax(α) at one epoch: rows are edges
// (first at the top), columns op slots.
type alphaGrid struct{ w [][]float64 }

func (g alphaGrid) Dims() (c, r int) { return len(g.w[0]), len(g.w) }
func (g alphaGrid) Z(c, r int) float64 {
	return g.w[len(g.w)-1-r][c]
}
func (g alphaGrid) X(c int) float64 { return float64(c) }
func (g alphaGrid) Y(r int) float64 { return float64(r) }

var shortOps = map[string]string{
	space.OpNone: "none", space.OpNoise: "noise", space.OpMaxPool3x3: "max", space.OpAvgPool3x3: "avg",
	space.OpSkipConnect: "skip", space.OpSepConv3x3: "sep3", space.OpSepConv5x5: "sep5", space.OpSepConv7x7: "sep7",
	space.OpDilConv3x3: "dil3", space.OpDilConv5x5: "dil5", space.OpConv7x1And1x7: "c7x1",
}

func short(op string) string {
	if s, ok := shortOps[op]; ok {
		return s
	}
	return op
}

// sourceName names cell state j: c_{k-2}, c_{k-1}, then the intermediate
// nodes 0, 1, ….
func sourceName(j int) string {
	switch j {
	case 0:
		return "c_{k-2}"
	case 1:
		return "c_{k-1}"
	}
	return fmt.Sprint(j - 2)
}

// uniformOps returns the op list shared by every edge, or nil if they
// differ (as in S1).
func uniformOps(ops [][]string) []string {
	for _, o := range ops[1:] {
		if strings.Join(o, ",") != strings.Join(ops[0], ",") {
			return nil
		}
	}
	return ops[0]
}

// alphaAt returns one cell kind's softmax(α) of record m.
func alphaAt(m search.Metrics, reduce bool) [][]float64 {
	if reduce {
		return m.AlphaReduce
	}
	return m.AlphaNormal
}

// plotAlpha draws one cell kind's softmax(α) as heat maps (edges × ops),
// one panel per chosen epoch, each cell labelled with its weight.
func plotAlpha(path string, r *Run, sp space.Space, reduce bool, epochs []search.Metrics) error {
	ops := sp.Ops(reduce)
	uni := uniformOps(ops)
	cm := moreland.SmoothBlueRed()
	cm.SetMin(0)
	cm.SetMax(1)
	pal := cm.Palette(101)
	var row []*plot.Plot
	for k, m := range epochs {
		w := alphaAt(m, reduce)
		if len(w) != len(sp.Edges) || len(w) == 0 || len(w[0]) == 0 {
			return fmt.Errorf("epoch %d: α has %d rows, space %s has %d edges", m.Epoch, len(w), sp.Name, len(sp.Edges))
		}
		p := newPlot(fmt.Sprintf("epoch %d", m.Epoch), "", "")
		p.Legend = plot.NewLegend()
		hm := plotter.NewHeatMap(alphaGrid{w}, pal)
		hm.Min, hm.Max = 0, 1
		p.Add(hm)
		var lab plotter.XYLabels
		for e := range w {
			for j, v := range w[e] {
				s := fmt.Sprintf("%.2f", v)
				if uni == nil && j < len(ops[e]) {
					s = short(ops[e][j]) + " " + s
				}
				lab.XYs = append(lab.XYs, plotter.XY{X: float64(j), Y: float64(len(w) - 1 - e)})
				lab.Labels = append(lab.Labels, s)
			}
		}
		labels, _ := plotter.NewLabels(lab)
		for i := range labels.TextStyle {
			labels.TextStyle[i].Font.Size = vg.Points(7)
			labels.TextStyle[i].XAlign, labels.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		}
		p.Add(labels)
		var xt, yt plot.ConstantTicks
		for j := range w[0] {
			name := fmt.Sprintf("op %d", j+1)
			if uni != nil {
				name = uni[j]
			}
			xt = append(xt, plot.Tick{Value: float64(j), Label: name})
		}
		for e, edge := range sp.Edges {
			label := ""
			if k == 0 {
				label = fmt.Sprintf("%d ← %s", edge.Node, sourceName(edge.Source))
			}
			yt = append(yt, plot.Tick{Value: float64(len(w) - 1 - e), Label: label})
		}
		p.X.Tick.Marker, p.Y.Tick.Marker = xt, yt
		p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = vg.Points(7), vg.Points(7)
		if k == 0 {
			p.Y.Label.Text = "edge (node ← input)"
		}
		row = append(row, p)
	}
	cols := len(epochs)
	width := vg.Length(cols)*(0.7*vg.Inch+vg.Length(len(ops[0]))*0.55*vg.Inch) + 0.8*vg.Inch
	height := vg.Length(len(sp.Edges))*0.22*vg.Inch + 1.1*vg.Inch
	return savePNG(path, width, height, [][]*plot.Plot{row})
}

// paramFree reports whether an op has no weights: skip, pools, none, noise.
func paramFree(op string) bool {
	switch op {
	case space.OpSkipConnect, space.OpMaxPool3x3, space.OpAvgPool3x3, space.OpNone, space.OpNoise:
		return true
	}
	return false
}

// ParamFreeWeight is the mean over a cell kind's edges of the softmax(α)
// weight on parameter-free ops (skip_connect, pools, none, noise): 0 when
// every edge leans on ops with weights, 1 at full collapse. ok is false
// when α's shape does not match the space.
func ParamFreeWeight(sp space.Space, reduce bool, w [][]float64) (float64, bool) {
	ops := sp.Ops(reduce)
	if len(w) != len(ops) || len(w) == 0 {
		return 0, false
	}
	var s float64
	for e, row := range w {
		if len(row) != len(ops[e]) {
			return 0, false
		}
		for j, v := range row {
			if paramFree(ops[e][j]) {
				s += v
			}
		}
	}
	return s / float64(len(w)), true
}

// plotParamFree draws ParamFreeWeight per epoch for both cell kinds.
func plotParamFree(path string, r *Run, sp space.Space) error {
	p := newPlot("weight of parameter-free ops (skip, pool, none, noise)", "epoch", "mean softmax(α) per edge")
	for k, reduce := range []bool{false, true} {
		var xs, ys []float64
		for _, m := range r.Epochs {
			if v, ok := ParamFreeWeight(sp, reduce, alphaAt(m, reduce)); ok {
				xs, ys = append(xs, float64(m.Epoch)), append(ys, v)
			}
		}
		if len(xs) == 0 {
			continue
		}
		l := line(xs, ys, plotutil.Color(k), vg.Points(2), false)
		sc, _ := plotter.NewScatter(xyOf(xs, ys))
		sc.Color, sc.Radius = plotutil.Color(k), vg.Points(2)
		p.Add(l, sc)
		p.Legend.Add(map[bool]string{false: "normal cell", true: "reduction cell"}[reduce], l, sc)
	}
	// The axis follows the data: the drift of a few per cent that marks a
	// collapse would be a flat line on a 0..1 scale.
	headroom(p, 2)
	for _, x := range markers(r) {
		vline(p, x, grey)
	}
	return savePNG(path, 5.5*vg.Inch, 3.2*vg.Inch, [][]*plot.Plot{{p}})
}

// plotCurves draws the learning curves: losses, accuracies, learning rate
// and weight decay (with drop path), and the decisions of ES and ADA as
// dashed vertical lines at the epochs they were decided.
func plotCurves(path string, r *Run) error {
	xs := make([]float64, len(r.Epochs))
	get := func(f func(search.Metrics) float64) []float64 {
		ys := make([]float64, len(r.Epochs))
		for i, m := range r.Epochs {
			xs[i], ys[i] = float64(m.Epoch), f(m)
		}
		return ys
	}
	pair := func(title, y string, a, b func(search.Metrics) float64, an, bn string) *plot.Plot {
		p := newPlot(title, "epoch", y)
		for k, f := range []func(search.Metrics) float64{a, b} {
			if f == nil {
				continue
			}
			l := line(xs, get(f), plotutil.Color(k), vg.Points(1.8), false)
			p.Add(l)
			p.Legend.Add([]string{an, bn}[k], l)
		}
		return p
	}
	loss := pair("loss", "cross-entropy", func(m search.Metrics) float64 { return m.TrainLoss },
		func(m search.Metrics) float64 { return m.ValidLoss }, "train (w half)", "valid (α half)")
	acc := pair("accuracy", "%", func(m search.Metrics) float64 { return m.TrainAcc },
		func(m search.Metrics) float64 { return m.ValidAcc }, "train", "valid")
	lr := pair("learning rate of w", "lr", func(m search.Metrics) float64 { return m.LR }, nil, "cosine lr", "")
	wdTitle := "weight decay of w"
	if r.Config.Method == "darts-ada" {
		wdTitle = "weight decay of w (DARTS-ADA raises it on rollback)"
	}
	wd := pair(wdTitle, "L2 factor", func(m search.Metrics) float64 { return m.WeightDecay }, nil, "weight decay", "")
	if r.Config.DropPath > 0 {
		dp := line(xs, get(func(m search.Metrics) float64 { return m.DropPath }), plotutil.Color(2), vg.Points(1.8), true)
		wd.Add(dp)
		wd.Legend.Add("drop path p", dp)
		wd.Y.Label.Text = "L2 factor / drop-path p"
	}
	wdEntries := 1
	if r.Config.DropPath > 0 {
		wdEntries++
	}
	if len(markers(r)) > 0 {
		l := line(nil, nil, grey, vg.Points(1), true)
		wd.Legend.Add("ES stop / ADA rollback to", l)
		wdEntries++
	}
	for i, p := range []*plot.Plot{loss, acc, lr, wd} {
		headroom(p, []int{2, 2, 1, wdEntries}[i])
		for _, x := range markers(r) {
			vline(p, x, grey)
		}
	}
	return savePNG(path, 8*vg.Inch, 5.6*vg.Inch, [][]*plot.Plot{{loss, acc}, {lr, wd}})
}

// headroom raises the top of the y axis so a legend of n entries in the
// top corner does not cover the data.
func headroom(p *plot.Plot, n int) {
	padRange(p)
	p.Y.Max += (p.Y.Max - p.Y.Min) * 0.075 * float64(n)
}

// markers are the epochs worth a vertical line: every DARTS-ADA rollback
// target and the first ES stop (or would-be stop).
func markers(r *Run) []float64 {
	var xs []float64
	es := false
	for _, e := range r.Events() {
		if e.Kind == "ada-rollback" || !es {
			xs = append(xs, float64(e.StopEpoch))
		}
		es = es || e.Kind != "ada-rollback"
	}
	return xs
}

// padRange keeps a constant series from collapsing the axis.
func padRange(p *plot.Plot) {
	if p.Y.Max-p.Y.Min < 1e-12 {
		d := math.Max(math.Abs(p.Y.Max)*0.1, 1e-6)
		p.Y.Min, p.Y.Max = p.Y.Min-d, p.Y.Max+d
	}
}

// plotRetrain draws the test error (and train error) per epoch of a run's
// retrainings that logged a curve; it returns false when none did.
func plotRetrain(path string, r *Run) (bool, error) {
	p := newPlot("retraining from scratch", "epoch", "error %")
	n := 0
	for i, t := range r.Retrain {
		if len(t.Curve) == 0 {
			continue
		}
		xs, te, tr := make([]float64, len(t.Curve)), make([]float64, len(t.Curve)), make([]float64, len(t.Curve))
		for j, e := range t.Curve {
			xs[j], te[j], tr[j] = float64(e.Epoch), 100-e.TestAcc, 100-e.TrainAcc
		}
		lt := line(xs, te, plotutil.Color(i), vg.Points(1.8), false)
		ltr := line(xs, tr, plotutil.Color(i), vg.Points(1), true)
		p.Add(lt, ltr)
		p.Legend.Add(fmt.Sprintf("test (%s)", t.Dir), lt)
		p.Legend.Add("train", ltr)
		n++
	}
	if n == 0 {
		return false, nil
	}
	headroom(p, 2*n)
	return true, savePNG(path, 6*vg.Inch, 3.4*vg.Inch, [][]*plot.Plot{{p}})
}

// plotScatter draws eigenvalue against test error with the correlations in
// the title.
func plotScatter(path string, c Correlation) error {
	what := "all runs"
	if c.Space != "" {
		what = c.Space + " / " + c.Dataset
	}
	p := newPlot(fmt.Sprintf("%s: Pearson %s, Spearman %s (n=%d)", what, dash(c.Pearson.format(3)), dash(c.Spearman.format(3)), c.N),
		"dominant eigenvalue λ at the result epoch", "retrained test error %")
	sc, _ := plotter.NewScatter(xyOf(c.EV, c.TestErr))
	sc.Radius, sc.Color, sc.Shape = vg.Points(3.5), plotutil.Color(0), draw.CircleGlyph{}
	p.Add(sc)
	// A margin of 8 % on each side, so no point sits on an axis.
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		d := math.Max((a.Max-a.Min)*0.08, math.Max(math.Abs(a.Max)*0.01, 1e-9))
		a.Min, a.Max = a.Min-d, a.Max+d
	}
	return savePNG(path, 5*vg.Inch, 3.6*vg.Inch, [][]*plot.Plot{{p}})
}
