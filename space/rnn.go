package space

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// The recurrent search space of DARTS (its rnn/ directory), for language
// modelling. A cell reads x_t and h_{t−1}; state 0 is the initial node
// s_0 = h_{t−1} + c_0 ⊙ (tanh(h_0) − h_{t−1}) with [c_0 | h_0] = [x_t | h_{t−1}]·W_0
// and c_0 passed through a sigmoid; intermediate node i (state i, 1 ≤ i ≤ 8)
// takes one earlier state j < i and one activation f:
//
//	s_i = s_j + c_i ⊙ (f(u_i) − s_j),  [c_i | u_i] = s_j·W_i,  c_i through a sigmoid,
//
// and the cell's output h_t is the mean of the states in concat (1..8).
//
// In the one-shot model node i receives an edge from every earlier state, so
// 8 nodes have 1+2+…+8 = 36 edges, each mixing the activations RNNOps with
// softmax(α) weights; α is 36×5, row RNNEdge(i, j) for node i and source j
// (node by node, sources ascending), columns in RNNOps order.

// Recurrent activation names, as DARTS spells them.
const (
	RNNNone     = "none"
	RNNTanh     = "tanh"
	RNNReLU     = "relu"
	RNNSigmoid  = "sigmoid"
	RNNIdentity = "identity"
)

// RNNSteps is the number of intermediate nodes of the DARTS recurrent cell.
const RNNSteps = 8

// RNNOps returns the recurrent space's ops in α-column order (DARTS'
// rnn PRIMITIVES).
func RNNOps() []string { return []string{RNNNone, RNNTanh, RNNReLU, RNNSigmoid, RNNIdentity} }

// rnnActivation reports whether name is an activation a genotype may use
// (any recurrent op but none).
func rnnActivation(name string) bool {
	return name == RNNTanh || name == RNNReLU || name == RNNSigmoid || name == RNNIdentity
}

// RNNEdges is the number of edges of a one-shot recurrent cell with the given
// number of intermediate nodes: steps·(steps+1)/2.
func RNNEdges(steps int) int { return steps * (steps + 1) / 2 }

// RNNEdge is the α row of the edge from state j into node i (1 ≤ i, 0 ≤ j < i).
// It panics if j is not an earlier state.
func RNNEdge(i, j int) int {
	if i < 1 || j < 0 || j >= i {
		panic(fmt.Sprintf("space: RNNEdge(%d, %d): node i ≥ 1 takes states 0..i−1", i, j))
	}
	return RNNEdges(i-1) + j
}

// RNNGenotype is a discrete recurrent cell, DARTS' rnn Genotype as plain
// data. Recurrent[i] is node i+1's activation (Op) and input state (Source,
// 0 = the initial node); Concat lists the states averaged into the output.
type RNNGenotype struct {
	Recurrent []Pair
	Concat    []int
}

// RNNDARTSV1 and RNNDARTSV2 are the first- and second-order DARTS cells of
// Liu et al. (their rnn/genotypes.py DARTS_V1 and DARTS_V2).
var (
	RNNDARTSV1 = RNNGenotype{
		Recurrent: []Pair{{RNNReLU, 0}, {RNNReLU, 1}, {RNNTanh, 2}, {RNNReLU, 3}, {RNNReLU, 4}, {RNNIdentity, 1}, {RNNReLU, 5}, {RNNReLU, 1}},
		Concat:    concatRangeFrom(1, 9),
	}
	RNNDARTSV2 = RNNGenotype{
		Recurrent: []Pair{{RNNSigmoid, 0}, {RNNReLU, 1}, {RNNReLU, 1}, {RNNIdentity, 1}, {RNNTanh, 2}, {RNNSigmoid, 5}, {RNNTanh, 3}, {RNNReLU, 5}},
		Concat:    concatRangeFrom(1, 9),
	}
)

func concatRangeFrom(lo, hi int) []int {
	c := make([]int, 0, hi-lo)
	for v := lo; v < hi; v++ {
		c = append(c, v)
	}
	return c
}

// String prints g in DARTS notation, e.g.
//
//	Genotype(recurrent=[('sigmoid', 0), ('relu', 1), ...], concat=range(1, 9))
func (g RNNGenotype) String() string {
	var b strings.Builder
	b.WriteString("Genotype(recurrent=")
	writePairs(&b, g.Recurrent)
	b.WriteString(", concat=")
	writeConcat(&b, g.Concat)
	b.WriteString(")")
	return b.String()
}

// Equal reports whether g and h are the same cell, written the same way.
func (g RNNGenotype) Equal(h RNNGenotype) bool {
	return slices.Equal(g.Recurrent, h.Recurrent) && slices.Equal(g.Concat, h.Concat)
}

// Validate checks g as an evaluation network reads it: at least one node,
// activations among tanh, relu, sigmoid and identity (none is never part of
// a genotype), node i+1's source in 0..i, and a non-empty concat of distinct
// states in 1..len(Recurrent). Any number of nodes is allowed (ENAS' cell
// has 11); ValidateSearch is stricter.
func (g RNNGenotype) Validate() error {
	if len(g.Recurrent) == 0 {
		return fmt.Errorf("genotype: recurrent has no nodes")
	}
	for i, p := range g.Recurrent {
		if !rnnActivation(p.Op) {
			return fmt.Errorf("genotype: recurrent node %d: op %q is not one of tanh, relu, sigmoid, identity", i+1, p.Op)
		}
		if p.Source < 0 || p.Source > i {
			return fmt.Errorf("genotype: recurrent node %d: source %d out of range 0..%d", i+1, p.Source, i)
		}
	}
	return validateRNNConcat(g.Concat, len(g.Recurrent))
}

func validateRNNConcat(concat []int, nodes int) error {
	if len(concat) == 0 {
		return fmt.Errorf("genotype: concat is empty")
	}
	for i, v := range concat {
		if v < 1 || v > nodes {
			return fmt.Errorf("genotype: concat: state %d out of range 1..%d", v, nodes)
		}
		if slices.Index(concat, v) != i {
			return fmt.Errorf("genotype: concat: state %d listed twice", v)
		}
	}
	return nil
}

// ValidateSearch checks that g is an architecture of the one-shot search
// space: valid, with RNNSteps nodes and concat = range(1, RNNSteps+1).
func (g RNNGenotype) ValidateSearch() error {
	if err := g.Validate(); err != nil {
		return err
	}
	if len(g.Recurrent) != RNNSteps {
		return fmt.Errorf("genotype: recurrent has %d nodes; the search space has %d", len(g.Recurrent), RNNSteps)
	}
	if !slices.Equal(g.Concat, concatRangeFrom(1, RNNSteps+1)) {
		return fmt.Errorf("genotype: concat %v; the search space averages range(1, %d)", g.Concat, RNNSteps+1)
	}
	return nil
}

// ParseRNN reads a recurrent genotype in DARTS notation, what String prints
// and what DARTS' rnn code logs, with the lexical freedoms of Parse (either
// quotes, range(a, b) or a list, the fields in any order, trailing commas,
// newlines, an optional leading "name ="). A successful result passes
// Validate; malformed input gives a *ParseError naming the first problem
// and its position.
func ParseRNN(src string) (RNNGenotype, error) {
	p := &parser{src: src}
	g, err := p.rnnGenotype()
	if err != nil {
		return RNNGenotype{}, err
	}
	if err := g.Validate(); err != nil { // a guard: the checks above should cover it
		return RNNGenotype{}, p.errAt(0, "%v", err)
	}
	return g, nil
}

func (p *parser) rnnGenotype() (RNNGenotype, error) {
	if err := p.next(); err != nil {
		return RNNGenotype{}, err
	}
	if p.tok.kind == tIdent && p.tok.text != "Genotype" {
		name := p.tok.text
		if err := p.next(); err != nil {
			return RNNGenotype{}, err
		}
		if err := p.expect("=", fmt.Sprintf("'=' after %q or 'Genotype('", name)); err != nil {
			return RNNGenotype{}, err
		}
	}
	if err := p.expect("Genotype", "'Genotype('"); err != nil {
		return RNNGenotype{}, err
	}
	if err := p.expect("(", "'(' after Genotype"); err != nil {
		return RNNGenotype{}, err
	}
	var g RNNGenotype
	concat := concatSpec{fieldName: "concat"}
	seen := map[string]bool{}
	for !p.is(")") {
		if p.tok.kind != tIdent {
			return RNNGenotype{}, p.errAt(p.tok.pos, "expected a field name or ')', found %s", p.describe())
		}
		name, pos := p.tok.text, p.tok.pos
		if seen[name] {
			return RNNGenotype{}, p.errAt(pos, "field %s given twice", name)
		}
		seen[name] = true
		if err := p.next(); err != nil {
			return RNNGenotype{}, err
		}
		if err := p.expect("=", "'=' after "+name); err != nil {
			return RNNGenotype{}, err
		}
		var err error
		switch name {
		case "recurrent":
			g.Recurrent, err = p.rnnPairs()
		case "concat":
			err = p.concat(&concat)
		default:
			return RNNGenotype{}, p.errAt(pos, "unknown field %q (want recurrent, concat)", name)
		}
		if err != nil {
			return RNNGenotype{}, err
		}
		if p.is(",") {
			if err := p.next(); err != nil {
				return RNNGenotype{}, err
			}
		} else if !p.is(")") {
			return RNNGenotype{}, p.errAt(p.tok.pos, "expected ',' or ')' after field %s, found %s", name, p.describe())
		}
	}
	closing := p.tok.pos
	if err := p.next(); err != nil {
		return RNNGenotype{}, err
	}
	if p.tok.kind != tEOF {
		return RNNGenotype{}, p.errAt(p.tok.pos, "unexpected %s after the closing ')'", p.describe())
	}
	for _, f := range []string{"recurrent", "concat"} {
		if !seen[f] {
			return RNNGenotype{}, p.errAt(closing, "missing field %s", f)
		}
	}
	var err error
	g.Concat, err = p.checkRNNConcat(concat, len(g.Recurrent))
	return g, err
}

// rnnPairs parses [('op', source), ...] with one pair per node.
func (p *parser) rnnPairs() ([]Pair, error) {
	if err := p.expect("[", "'[' to open recurrent"); err != nil {
		return nil, err
	}
	var pairs []Pair
	for !p.is("]") {
		node := len(pairs) + 1
		if err := p.expect("(", fmt.Sprintf("'(' to open node %d's pair or ']'", node)); err != nil {
			return nil, err
		}
		if p.tok.kind != tString {
			return nil, p.errAt(p.tok.pos, "expected a quoted activation for node %d, found %s", node, p.describe())
		}
		op := p.tok.text
		if !rnnActivation(op) {
			return nil, p.errAt(p.tok.pos, "unknown activation %q for node %d (want tanh, relu, sigmoid or identity)", op, node)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if err := p.expect(",", "',' after the activation"); err != nil {
			return nil, err
		}
		src, pos, err := p.expectInt("a source state")
		if err != nil {
			return nil, err
		}
		if src >= node {
			return nil, p.errAt(pos, "bad source %d for node %d: it takes states 0..%d", src, node, node-1)
		}
		if p.is(",") {
			if err := p.next(); err != nil {
				return nil, err
			}
		}
		if err := p.expect(")", "')' to close the pair"); err != nil {
			return nil, err
		}
		pairs = append(pairs, Pair{Op: op, Source: src})
		if err := p.listSep("]", "recurrent"); err != nil {
			return nil, err
		}
	}
	if len(pairs) == 0 {
		return nil, p.errAt(p.tok.pos, "recurrent has no nodes")
	}
	return pairs, p.next()
}

// checkRNNConcat checks the concat field against the node count.
func (p *parser) checkRNNConcat(c concatSpec, nodes int) ([]int, error) {
	if c.isRange {
		if c.lo >= c.hi {
			return nil, p.errAt(c.pos, "concat: range(%d, %d) is empty", c.lo, c.hi)
		}
		if c.lo < 1 || c.hi > nodes+1 {
			return nil, p.errAt(c.pos, "concat: range(%d, %d) is not within the states 1..%d", c.lo, c.hi, nodes)
		}
		return concatRangeFrom(c.lo, c.hi), nil
	}
	if len(c.vals) == 0 {
		return nil, p.errAt(c.pos, "concat is empty")
	}
	for i, v := range c.vals {
		if v < 1 || v > nodes {
			return nil, p.errAt(c.at[i], "concat: state %d is not a state 1..%d", v, nodes)
		}
		if slices.Index(c.vals, v) != i {
			return nil, p.errAt(c.at[i], "concat: state %d listed twice", v)
		}
	}
	return c.vals, nil
}

// DeriveRNN discretises a recurrent α (RNNEdges(steps) rows of
// len(RNNOps()) logits, softmax taken per row) as DARTS' rnn genotype()
// does: for each node, the edge whose largest non-none weight is the
// largest (ties: the lower source) with its best non-none activation
// (ties: the first in RNNOps order); concat = range(1, steps+1). It panics
// if α is not of that shape for some steps ≥ 1.
func DeriveRNN(alpha [][]float64) RNNGenotype {
	ops := RNNOps()
	steps := 0
	for RNNEdges(steps) < len(alpha) {
		steps++
	}
	if steps == 0 || RNNEdges(steps) != len(alpha) {
		panic(fmt.Sprintf("space: DeriveRNN: α has %d rows; want steps·(steps+1)/2 for some steps ≥ 1", len(alpha)))
	}
	g := RNNGenotype{Concat: concatRangeFrom(1, steps+1)}
	for i := 1; i <= steps; i++ {
		bestJ, bestK, bestW := -1, -1, math.Inf(-1)
		for j := 0; j < i; j++ {
			row := alpha[RNNEdge(i, j)]
			if len(row) != len(ops) {
				panic(fmt.Sprintf("space: DeriveRNN: α row %d has %d columns; want %d", RNNEdge(i, j), len(row), len(ops)))
			}
			w := softmax(row)
			for k := 1; k < len(ops); k++ { // column 0 is none
				if w[k] > bestW {
					bestJ, bestK, bestW = j, k, w[k]
				}
			}
		}
		if bestK < 0 {
			panic(fmt.Sprintf("space: DeriveRNN: node %d: α holds NaN", i))
		}
		g.Recurrent = append(g.Recurrent, Pair{Op: ops[bestK], Source: bestJ})
	}
	return g
}
