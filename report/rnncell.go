package report

import (
	"fmt"
	"html"
	"strings"

	"github.com/rdarts/rdarts/space"
)

// rnnStateName names state j of a recurrent cell: the initial node is 0,
// node i is i (as DARTS' rnn genotypes count them).
func rnnStateName(j int) string { return fmt.Sprint(j) }

// RNNCellDOT returns a recurrent genotype's cell in Graphviz notation, as
// DARTS' rnn visualisation draws it: x_{t} and h_{t-1} into the initial
// node 0, node i from its source labelled with its activation, the concat
// states into h_{t}.
func RNNCellDOT(g space.RNNGenotype) string {
	var b strings.Builder
	b.WriteString("digraph rnncell {\n  rankdir=LR;\n  bgcolor=white;\n")
	b.WriteString("  node [style=filled, shape=rect, fontsize=16, height=0.45, width=0.45, penwidth=2, fontname=\"Times\"];\n")
	b.WriteString("  edge [fontsize=13, fontname=\"Times\"];\n")
	b.WriteString("  \"x_{t}\" [fillcolor=darkseagreen2];\n  \"h_{t-1}\" [fillcolor=darkseagreen2];\n")
	b.WriteString("  \"0\" [fillcolor=lightblue];\n")
	for i := range g.Recurrent {
		fmt.Fprintf(&b, "  \"%d\" [fillcolor=lightblue];\n", i+1)
	}
	b.WriteString("  \"h_{t}\" [fillcolor=palegoldenrod];\n")
	b.WriteString("  \"x_{t}\" -> \"0\" [fillcolor=gray];\n  \"h_{t-1}\" -> \"0\" [fillcolor=gray];\n")
	for i, p := range g.Recurrent {
		fmt.Fprintf(&b, "  %q -> \"%d\" [label=%q, fillcolor=gray];\n", rnnStateName(p.Source), i+1, p.Op)
	}
	for _, c := range g.Concat {
		fmt.Fprintf(&b, "  %q -> \"h_{t}\" [fillcolor=gray];\n", rnnStateName(c))
	}
	b.WriteString("}\n")
	return b.String()
}

// RNNCellSVG draws a recurrent genotype's cell as SVG without Graphviz:
// x_{t} and h_{t-1} in the first column, the initial node 0 in the second,
// node i in column i+2 (alternately raised and lowered so edges stay
// apart), h_{t} last; edges are curves labelled with their activation.
func RNNCellSVG(g space.RNNGenotype) []byte {
	nodes := len(g.Recurrent)
	const colW, top, h, bw, bh = 120.0, 40.0, 260.0, 64.0, 30.0
	type pt struct{ x, y float64 }
	in := [2]pt{{20, top + 30}, {20, top + h - 60}}
	pos := map[int]pt{0: {20 + colW, top + h/2 - bh/2}}
	for i := 1; i <= nodes; i++ {
		pos[i] = pt{20 + colW*float64(i+1), top + h/2 - bh/2 + float64((i%2)*2-1)*60}
	}
	out := pt{20 + colW*float64(nodes+2), top + h/2 - bh/2}
	width, height := out.x+bw+20, top+h+20
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Times, serif">`+"\n", width, height, width, height)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>` + "\n")
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	edge := func(from, to pt, label string) {
		x1, y1, x2, y2 := from.x+bw, from.y+bh/2, to.x, to.y+bh/2
		if x2 < x1 { // never: sources are earlier columns
			x2 = x1
		}
		cx := (x1 + x2) / 2
		fmt.Fprintf(&b, `<path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="#333" stroke-width="1.4" marker-end="url(#arrow)"/>`+"\n",
			x1, y1, cx, y1, cx, y2, x2, y2)
		if label != "" {
			mx, my := cx, (y1+y2)/2
			w := 6.5*float64(len(label)) + 6
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="15" fill="white" fill-opacity="0.85"/>`, mx-w/2, my-11, w)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">%s</text>`+"\n", mx, my, html.EscapeString(label))
		}
	}
	edge(in[0], pos[0], "")
	edge(in[1], pos[0], "")
	for i, p := range g.Recurrent {
		if from, ok := pos[p.Source]; ok {
			edge(from, pos[i+1], p.Op)
		}
	}
	for _, c := range g.Concat {
		if from, ok := pos[c]; ok {
			edge(from, out, "")
		}
	}
	box := func(p pt, name, fill string) {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.0f" height="%.0f" fill="%s" stroke="black" stroke-width="2"/>`, p.x, p.y, bw, bh, fill)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="15" text-anchor="middle">%s</text>`+"\n", p.x+bw/2, p.y+bh/2+5, html.EscapeString(name))
	}
	box(in[0], "x_{t}", "#b4eeb4")
	box(in[1], "h_{t-1}", "#b4eeb4")
	for i := 0; i <= nodes; i++ {
		box(pos[i], rnnStateName(i), "#add8e6")
	}
	box(out, "h_{t}", "#eee8aa")
	b.WriteString("</svg>\n")
	return []byte(b.String())
}
