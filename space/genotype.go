package space

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Pair is one input of an intermediate node in a genotype: the op applied to
// the state Source (0 = c_{k-2}, 1 = c_{k-1}, j >= 2 = node j-2).
type Pair struct {
	Op     string
	Source int
}

// Genotype is a discrete architecture, DARTS' namedtuple as plain data.
// Normal and Reduce hold two pairs per intermediate node, in node order; the
// concat lists name the states (>= 2) concatenated into the cell output.
type Genotype struct {
	Normal       []Pair
	NormalConcat []int
	Reduce       []Pair
	ReduceConcat []int
}

// DARTSV2 is the second-order DARTS cell of Liu et al. (DA:cnn/genotypes.py DARTS_V2).
var DARTSV2 = Genotype{
	Normal: []Pair{
		{OpSepConv3x3, 0}, {OpSepConv3x3, 1},
		{OpSepConv3x3, 0}, {OpSepConv3x3, 1},
		{OpSepConv3x3, 1}, {OpSkipConnect, 0},
		{OpSkipConnect, 0}, {OpDilConv3x3, 2},
	},
	NormalConcat: []int{2, 3, 4, 5},
	Reduce: []Pair{
		{OpMaxPool3x3, 0}, {OpMaxPool3x3, 1},
		{OpSkipConnect, 2}, {OpMaxPool3x3, 1},
		{OpMaxPool3x3, 0}, {OpSkipConnect, 2},
		{OpSkipConnect, 2}, {OpMaxPool3x3, 1},
	},
	ReduceConcat: []int{2, 3, 4, 5},
}

// String prints g in DARTS notation, e.g.
//
//	Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=range(2, 6), reduce=[...], reduce_concat=range(2, 6))
//
// A concat list that is a run of consecutive ascending integers prints as
// range(a, b), any other as a list.
func (g Genotype) String() string {
	var b strings.Builder
	b.WriteString("Genotype(normal=")
	writePairs(&b, g.Normal)
	b.WriteString(", normal_concat=")
	writeConcat(&b, g.NormalConcat)
	b.WriteString(", reduce=")
	writePairs(&b, g.Reduce)
	b.WriteString(", reduce_concat=")
	writeConcat(&b, g.ReduceConcat)
	b.WriteString(")")
	return b.String()
}

func writePairs(b *strings.Builder, pairs []Pair) {
	b.WriteByte('[')
	for i, p := range pairs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "('%s', %d)", p.Op, p.Source)
	}
	b.WriteByte(']')
}

func writeConcat(b *strings.Builder, c []int) {
	run := len(c) > 0
	for i := 1; i < len(c); i++ {
		run = run && c[i] == c[i-1]+1
	}
	if run {
		fmt.Fprintf(b, "range(%d, %d)", c[0], c[len(c)-1]+1)
		return
	}
	b.WriteByte('[')
	for i, v := range c {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(v))
	}
	b.WriteByte(']')
}

// Equal reports whether g and h hold the same pairs in the same order and the
// same concat lists (a nil list equals an empty one).
func (g Genotype) Equal(h Genotype) bool {
	return slices.Equal(g.Normal, h.Normal) && slices.Equal(g.NormalConcat, h.NormalConcat) &&
		slices.Equal(g.Reduce, h.Reduce) && slices.Equal(g.ReduceConcat, h.ReduceConcat)
}

// Validate checks g on its own, as an evaluation network would read it: for
// each cell kind at least one node, two pairs per node, known op names (none
// and noise included), every source earlier than its node, and a non-empty
// concat list of distinct intermediate states. Repeated sources within a node
// are allowed (AmoebaNet has them); ValidateIn is stricter.
func (g Genotype) Validate() error {
	if err := validateCell("normal", g.Normal, g.NormalConcat); err != nil {
		return err
	}
	return validateCell("reduce", g.Reduce, g.ReduceConcat)
}

func validateCell(kind string, pairs []Pair, concat []int) error {
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return fmt.Errorf("genotype: %s has %d pairs; want 2 per node, at least one node", kind, len(pairs))
	}
	for k, p := range pairs {
		if !Known(p.Op) {
			return fmt.Errorf("genotype: %s pair %d: unknown op %q", kind, k, p.Op)
		}
		if node := k / 2; p.Source < 0 || p.Source >= node+2 {
			return fmt.Errorf("genotype: %s pair %d: source %d out of range 0..%d for node %d", kind, k, p.Source, node+1, node)
		}
	}
	return validateConcat(kind, concat, len(pairs)/2)
}

func validateConcat(kind string, concat []int, nodes int) error {
	if len(concat) == 0 {
		return fmt.Errorf("genotype: %s_concat is empty", kind)
	}
	for i, v := range concat {
		if v < 2 || v >= nodes+2 {
			return fmt.Errorf("genotype: %s_concat: state %d out of range 2..%d", kind, v, nodes+1)
		}
		if slices.Index(concat, v) != i {
			return fmt.Errorf("genotype: %s_concat: state %d listed twice", kind, v)
		}
	}
	return nil
}

// ValidateIn checks that g is an architecture of s: valid on its own, with
// s.Steps nodes per cell, every pair on an edge of s whose op list (for that
// cell kind) holds the pair's op, the two pairs of a node on different edges,
// concat = range(2, 2+Steps), and for a shared space a reduction cell equal to
// the normal cell (pair order within a node aside).
func (g Genotype) ValidateIn(s Space) error {
	_, _, err := oneHot(s, g)
	return err
}
