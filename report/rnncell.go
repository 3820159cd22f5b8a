package report

import (
	"fmt"
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
	const colW, top, h = 120.0, 40.0, 260.0
	in := [2]pt{{20, top + 30}, {20, top + h - 60}}
	pos := map[int]pt{0: {20 + colW, top + h/2 - bh/2}}
	for i := 1; i <= nodes; i++ {
		pos[i] = pt{20 + colW*float64(i+1), top + h/2 - bh/2 + float64((i%2)*2-1)*60}
	}
	out := pt{20 + colW*float64(nodes+2), top + h/2 - bh/2}
	d := newCellDrawing(out.x+bw+20, top+h+20)
	d.edge(in[0], pos[0], "")
	d.edge(in[1], pos[0], "")
	for i, p := range g.Recurrent {
		if from, ok := pos[p.Source]; ok {
			d.edge(from, pos[i+1], p.Op)
		}
	}
	for _, c := range g.Concat {
		if from, ok := pos[c]; ok {
			d.edge(from, out, "")
		}
	}
	d.box(in[0], "x_{t}", "#b4eeb4")
	d.box(in[1], "h_{t-1}", "#b4eeb4")
	for i := 0; i <= nodes; i++ {
		d.box(pos[i], rnnStateName(i), "#add8e6")
	}
	d.box(out, "h_{t}", "#eee8aa")
	return d.bytes()
}
