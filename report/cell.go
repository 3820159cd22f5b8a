package report

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os/exec"
	"strings"
	"time"

	"github.com/rdarts/rdarts/space"
)

// cellPairs returns one cell kind's pairs and concat list.
func cellPairs(g space.Genotype, reduce bool) ([]space.Pair, []int) {
	if reduce {
		return g.Reduce, g.ReduceConcat
	}
	return g.Normal, g.NormalConcat
}

// stateName names state j of a cell in a drawing: c_{k-2}, c_{k-1}, 0, 1, ….
func stateName(j int) string { return sourceName(j) }

// CellDOT returns one cell of g in Graphviz notation, styled like the DARTS
// paper's figures: inputs c_{k-2} and c_{k-1}, intermediate nodes 0…,
// output c_{k}, edges labelled with their op.
func CellDOT(g space.Genotype, reduce bool) string {
	pairs, concat := cellPairs(g, reduce)
	var b strings.Builder
	b.WriteString("digraph cell {\n  rankdir=LR;\n  bgcolor=white;\n")
	b.WriteString("  node [style=filled, shape=rect, fontsize=16, height=0.45, width=0.45, penwidth=2, fontname=\"Times\"];\n")
	b.WriteString("  edge [fontsize=13, fontname=\"Times\"];\n")
	b.WriteString("  \"c_{k-2}\" [fillcolor=darkseagreen2];\n  \"c_{k-1}\" [fillcolor=darkseagreen2];\n")
	for i := 0; i < len(pairs)/2; i++ {
		fmt.Fprintf(&b, "  \"%d\" [fillcolor=lightblue];\n", i)
	}
	b.WriteString("  \"c_{k}\" [fillcolor=palegoldenrod];\n")
	for k, p := range pairs {
		fmt.Fprintf(&b, "  %q -> \"%d\" [label=%q, fillcolor=gray];\n", stateName(p.Source), k/2, p.Op)
	}
	for _, c := range concat {
		fmt.Fprintf(&b, "  %q -> \"c_{k}\" [fillcolor=gray];\n", stateName(c))
	}
	b.WriteString("}\n")
	return b.String()
}

// dotSVG renders DOT source with Graphviz (dot -Tsvg).
func dotSVG(dotPath, src string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, dotPath, "-Tsvg")
	cmd.Stdin = strings.NewReader(src)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s -Tsvg: %v: %s", dotPath, err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// CellSVG draws one cell of g as SVG without Graphviz: the inputs in the
// first column, intermediate node i in column i+1 (alternately raised and
// lowered so edges stay apart), the output last; edges are curves labelled
// with their op.
func CellSVG(g space.Genotype, reduce bool) []byte {
	pairs, concat := cellPairs(g, reduce)
	nodes := len(pairs) / 2
	const colW, top, h = 150.0, 40.0, 260.0
	pos := map[int]pt{0: {20, top + 30}, 1: {20, top + h - 60}}
	for i := range nodes {
		y := top + h/2 - bh/2 + float64((i%2)*2-1)*50
		pos[i+2] = pt{20 + colW*float64(i+1), y}
	}
	out := pt{20 + colW*float64(nodes+1), top + h/2 - bh/2}
	d := newCellDrawing(out.x+bw+20, top+h+20)
	for k, p := range pairs {
		if from, ok := pos[p.Source]; ok {
			d.edge(from, pos[k/2+2], p.Op)
		}
	}
	for _, c := range concat {
		if from, ok := pos[c]; ok {
			d.edge(from, out, "")
		}
	}
	d.box(pos[0], "c_{k-2}", "#b4eeb4")
	d.box(pos[1], "c_{k-1}", "#b4eeb4")
	for i := range nodes {
		d.box(pos[i+2], fmt.Sprint(i), "#add8e6")
	}
	d.box(out, "c_{k}", "#eee8aa")
	return d.bytes()
}

// Box size of a cell drawing's states.
const bw, bh = 64.0, 30.0

// pt is a box's top-left corner in a cell drawing.
type pt struct{ x, y float64 }

// cellDrawing is the SVG of a cell drawn without Graphviz (CellSVG,
// RNNCellSVG): curved labelled edges between boxes, left to right.
type cellDrawing struct{ b strings.Builder }

func newCellDrawing(width, height float64) *cellDrawing {
	d := &cellDrawing{}
	fmt.Fprintf(&d.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Times, serif">`+"\n", width, height, width, height)
	d.b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>` + "\n")
	d.b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	return d
}

// edge draws a curve from the right side of from to the left side of to,
// labelled unless label is empty.
func (d *cellDrawing) edge(from, to pt, label string) {
	x1, y1, x2, y2 := from.x+bw, from.y+bh/2, to.x, to.y+bh/2
	cx := (x1 + x2) / 2
	fmt.Fprintf(&d.b, `<path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="#333" stroke-width="1.4" marker-end="url(#arrow)"/>`+"\n",
		x1, y1, cx, y1, cx, y2, x2, y2)
	if label != "" {
		mx, my := cx, (y1+y2)/2
		w := 6.5*float64(len(label)) + 6
		fmt.Fprintf(&d.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="15" fill="white" fill-opacity="0.85"/>`, mx-w/2, my-11, w)
		fmt.Fprintf(&d.b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">%s</text>`+"\n", mx, my, html.EscapeString(label))
	}
}

// box draws a state's box with its name.
func (d *cellDrawing) box(p pt, name, fill string) {
	fmt.Fprintf(&d.b, `<rect x="%.1f" y="%.1f" width="%.0f" height="%.0f" fill="%s" stroke="black" stroke-width="2"/>`, p.x, p.y, bw, bh, fill)
	fmt.Fprintf(&d.b, `<text x="%.1f" y="%.1f" font-size="15" text-anchor="middle">%s</text>`+"\n", p.x+bw/2, p.y+bh/2+5, html.EscapeString(name))
}

func (d *cellDrawing) bytes() []byte { return []byte(d.b.String() + "</svg>\n") }
