package space

import (
	"fmt"
	"slices"
	"strings"
)

// Edge is one edge of a cell: it feeds intermediate node Node from Source,
// where source 0 is c_{k-2}, 1 is c_{k-1} and j >= 2 is intermediate node j-2.
type Edge struct {
	Node, Source int
}

// Space is a search space as data: a cell topology and, per cell kind, the
// candidate ops of every edge.
type Space struct {
	// Name is the space's name as given on the command line.
	Name string
	// Steps is the number of intermediate nodes of a cell.
	Steps int
	// Edges is the topology, in α-row order (by node, then by source).
	Edges []Edge
	// Normal holds, per edge, the op list of normal cells in α-column order.
	Normal [][]string
	// Reduce holds the same for reduction cells; with Shared it may be nil.
	Reduce [][]string
	// Shared means one α serves both cell kinds, so both cells are always
	// identical; Reduce is then nil or equal to Normal.
	Shared bool
}

// DAGEdges returns the full DARTS cell topology with the given number of
// intermediate nodes: node i gets one edge from each source 0..i+1, ordered by
// source. It is the one edge enumeration used for building cells, sizing α and
// deriving genotypes.
func DAGEdges(steps int) []Edge {
	var edges []Edge
	for i := 0; i < steps; i++ {
		for j := 0; j < i+2; j++ {
			edges = append(edges, Edge{Node: i, Source: j})
		}
	}
	return edges
}

var (
	dartsOps = []string{
		OpNone, OpMaxPool3x3, OpAvgPool3x3, OpSkipConnect,
		OpSepConv3x3, OpSepConv5x5, OpDilConv3x3, OpDilConv5x5,
	}

	// s1Normal and s1Reduce are RD:src/spaces.py primitives_1, row = edge.
	s1Normal = [][]string{
		{OpSkipConnect, OpDilConv3x3},
		{OpSkipConnect, OpDilConv5x5},
		{OpSkipConnect, OpDilConv5x5},
		{OpSkipConnect, OpSepConv3x3},
		{OpSkipConnect, OpDilConv3x3},
		{OpMaxPool3x3, OpSkipConnect}, // pool first, as in the reference
		{OpSkipConnect, OpSepConv3x3},
		{OpSkipConnect, OpSepConv3x3},
		{OpSkipConnect, OpDilConv3x3},
		{OpSkipConnect, OpSepConv3x3},
		{OpMaxPool3x3, OpSkipConnect}, // pool first, as in the reference
		{OpSkipConnect, OpDilConv3x3},
		{OpDilConv3x3, OpDilConv5x5},
		{OpDilConv3x3, OpDilConv5x5},
	}
	s1Reduce = [][]string{
		{OpMaxPool3x3, OpAvgPool3x3},
		{OpMaxPool3x3, OpDilConv3x3},
		{OpMaxPool3x3, OpAvgPool3x3},
		{OpMaxPool3x3, OpAvgPool3x3},
		{OpSkipConnect, OpDilConv5x5},
		{OpMaxPool3x3, OpAvgPool3x3},
		{OpMaxPool3x3, OpSepConv3x3},
		{OpSkipConnect, OpDilConv3x3},
		{OpSkipConnect, OpDilConv5x5},
		{OpMaxPool3x3, OpAvgPool3x3},
		{OpMaxPool3x3, OpAvgPool3x3},
		{OpSkipConnect, OpDilConv5x5},
		{OpSkipConnect, OpDilConv5x5},
		{OpSkipConnect, OpDilConv5x5},
	}

	s5Edges = []Edge{{0, 0}, {0, 1}, {1, 1}, {1, 2}}
	s5Ops   = []string{OpSepConv3x3, OpSkipConnect, OpMaxPool3x3}
)

var names = []string{"darts", "s1", "s2", "s3", "s4", "s5"}

// Names returns the names Get accepts, in a fixed order.
func Names() []string {
	return append([]string(nil), names...)
}

// Get returns the named search space (darts, s1, s2, s3, s4 or s5; case does
// not matter). Each call returns a fresh copy the caller may modify.
func Get(name string) (Space, error) {
	switch strings.ToLower(name) {
	case "darts":
		return uniform("darts", 4, DAGEdges(4), dartsOps, false), nil
	case "s1":
		return Space{
			Name: "s1", Steps: 4, Edges: DAGEdges(4),
			Normal: cloneLists(s1Normal), Reduce: cloneLists(s1Reduce),
		}, nil
	case "s2":
		return uniform("s2", 4, DAGEdges(4), []string{OpSkipConnect, OpSepConv3x3}, false), nil
	case "s3":
		return uniform("s3", 4, DAGEdges(4), []string{OpNone, OpSkipConnect, OpSepConv3x3}, false), nil
	case "s4":
		return uniform("s4", 4, DAGEdges(4), []string{OpNoise, OpSepConv3x3}, false), nil
	case "s5":
		return uniform("s5", 2, slices.Clone(s5Edges), s5Ops, true), nil
	case "rnn":
		return Space{}, fmt.Errorf("space: rnn is the recurrent (language-model) space, which rdarts search, train, robust and report take; this needs a convolutional one (%s)", strings.Join(names, ", "))
	}
	return Space{}, fmt.Errorf("space: unknown search space %q (valid: %s)", name, strings.Join(names, ", "))
}

// uniform builds a space with the same op list on every edge of both cell kinds.
func uniform(name string, steps int, edges []Edge, ops []string, shared bool) Space {
	s := Space{Name: name, Steps: steps, Edges: edges, Shared: shared}
	for range edges {
		s.Normal = append(s.Normal, slices.Clone(ops))
		s.Reduce = append(s.Reduce, slices.Clone(ops))
	}
	return s
}

func cloneLists(l [][]string) [][]string {
	out := make([][]string, len(l))
	for i, ops := range l {
		out[i] = slices.Clone(ops)
	}
	return out
}

// Ops returns the per-edge op lists of reduction cells if reduce is set, else
// of normal cells. The result is the space's own storage, not a copy.
func (s Space) Ops(reduce bool) [][]string {
	if reduce && !(s.Shared && s.Reduce == nil) {
		return s.Reduce
	}
	return s.Normal
}

// AlphaShape returns the shape of the α matrix of one cell kind: one row per
// edge, one column per op (Validate guarantees equal op counts per cell kind).
func (s Space) AlphaShape(reduce bool) (rows, cols int) {
	ops := s.Ops(reduce)
	if len(ops) == 0 {
		return len(s.Edges), 0
	}
	return len(s.Edges), len(ops[0])
}

// nodeRows returns, per intermediate node, the α rows of its incoming edges.
func (s Space) nodeRows() [][]int {
	rows := make([][]int, s.Steps)
	for e, edge := range s.Edges {
		if edge.Node >= 0 && edge.Node < s.Steps {
			rows[edge.Node] = append(rows[edge.Node], e)
		}
	}
	return rows
}

// Validate checks a space, typically a hand-made one: a name, at least one
// step, edges sorted by node then source without repeats, every source earlier
// than its node, at least two edges into every node, op lists that match the
// edges, known ops without repeats on an edge, at least one op besides none on
// every edge (so derivation always has a choice), and one op count per cell
// kind. A shared space must have Reduce nil or equal to Normal.
func (s Space) Validate() error {
	if s.Name == "" {
		return fmt.Errorf("space: space has no name")
	}
	if s.Steps < 1 {
		return fmt.Errorf("space %s: %d steps; want at least 1", s.Name, s.Steps)
	}
	if len(s.Edges) < 2*s.Steps {
		return fmt.Errorf("space %s: %d edges for %d steps; want at least 2 edges into every node", s.Name, len(s.Edges), s.Steps)
	}
	for e, edge := range s.Edges {
		if edge.Node < 0 || edge.Node >= s.Steps {
			return fmt.Errorf("space %s: edge %d: node %d out of range 0..%d", s.Name, e, edge.Node, s.Steps-1)
		}
		if edge.Source < 0 || edge.Source >= edge.Node+2 {
			return fmt.Errorf("space %s: edge %d: source %d out of range 0..%d for node %d", s.Name, e, edge.Source, edge.Node+1, edge.Node)
		}
		if e > 0 {
			p := s.Edges[e-1]
			if edge.Node < p.Node || edge.Node == p.Node && edge.Source <= p.Source {
				return fmt.Errorf("space %s: edge %d %v does not follow edge %d %v; want edges sorted by node, then source, without repeats", s.Name, e, edge, e-1, p)
			}
		}
	}
	for i, rows := range s.nodeRows() {
		if len(rows) < 2 {
			return fmt.Errorf("space %s: node %d has %d incoming edges; want at least 2", s.Name, i, len(rows))
		}
	}
	if err := s.validateOps("normal", s.Normal); err != nil {
		return err
	}
	if s.Shared && s.Reduce == nil {
		return nil
	}
	if err := s.validateOps("reduce", s.Reduce); err != nil {
		return err
	}
	if s.Shared && !slices.EqualFunc(s.Normal, s.Reduce, slices.Equal) {
		return fmt.Errorf("space %s: shared space has different normal and reduce op lists", s.Name)
	}
	return nil
}

func (s Space) validateOps(kind string, lists [][]string) error {
	if len(lists) != len(s.Edges) {
		return fmt.Errorf("space %s: %d %s op lists for %d edges", s.Name, len(lists), kind, len(s.Edges))
	}
	for e, ops := range lists {
		if len(ops) != len(lists[0]) {
			return fmt.Errorf("space %s: %s edge %d has %d ops, edge 0 has %d; want one op count per cell kind", s.Name, kind, e, len(ops), len(lists[0]))
		}
		choices := 0
		for k, op := range ops {
			if !Known(op) {
				return fmt.Errorf("space %s: %s edge %d: unknown op %q", s.Name, kind, e, op)
			}
			if slices.Index(ops, op) != k {
				return fmt.Errorf("space %s: %s edge %d: op %q listed twice", s.Name, kind, e, op)
			}
			if op != OpNone {
				choices++
			}
		}
		if choices == 0 {
			return fmt.Errorf("space %s: %s edge %d has no op besides none", s.Name, kind, e)
		}
	}
	return nil
}
