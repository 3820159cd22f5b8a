package space

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Derive discretises α into a genotype (docs/method.md, Discretisation;
// DARTS genotype()). α rows are
// logits, one row per edge of s in α-row order; softmax is taken per row.
// Per node and cell kind an edge's score is its largest weight over ops other
// than none (all ops if the edge has no none); the two best edges are kept,
// ties keeping the lower source; each kept edge, strongest first, contributes
// its best op other than none (the first maximum on ties). Concat is
// range(2, 2+Steps). On a fixed topology (two edges per node, as in s5) both
// edges are kept, strongest first.
//
// The position of none is looked up in each edge's own op list (global edge
// index); RobustDARTS uses the node-local index there, which gives the same
// result for all of its spaces.
//
// For a shared space alphaReduce is ignored (it may be nil) and the reduction
// cell is a copy of the normal one. Derive panics if s is invalid or an α
// does not have the shape AlphaShape reports.
func Derive(s Space, alphaNormal, alphaReduce [][]float64) Genotype {
	if err := s.Validate(); err != nil {
		panic("space: Derive: " + err.Error())
	}
	if s.Shared {
		alphaReduce = alphaNormal
	}
	g := Genotype{
		Normal:       deriveCell(s, false, alphaNormal),
		NormalConcat: concatRange(s.Steps),
		ReduceConcat: concatRange(s.Steps),
	}
	if s.Shared {
		g.Reduce = slices.Clone(g.Normal)
	} else {
		g.Reduce = deriveCell(s, true, alphaReduce)
	}
	return g
}

func deriveCell(s Space, reduce bool, alpha [][]float64) []Pair {
	lists := s.Ops(reduce)
	rows, cols := s.AlphaShape(reduce)
	kind := kindName(reduce)
	if len(alpha) != rows {
		panic(fmt.Sprintf("space: Derive: %s α has %d rows; space %s wants %d", kind, len(alpha), s.Name, rows))
	}
	for e, row := range alpha {
		if len(row) != cols {
			panic(fmt.Sprintf("space: Derive: %s α row %d has %d columns; space %s wants %d", kind, e, len(row), s.Name, cols))
		}
	}
	var pairs []Pair
	for _, edges := range s.nodeRows() {
		type cand struct {
			edge, op int
			score    float64
		}
		cands := make([]cand, len(edges))
		for i, e := range edges {
			w := softmax(alpha[e])
			best := -1
			for k, op := range lists[e] {
				// Strict > keeps the first maximum on ties.
				if op != OpNone && (best < 0 || w[k] > w[best]) {
					best = k
				}
			}
			cands[i] = cand{edge: e, op: best, score: w[best]}
		}
		// Stable sort: equal scores keep edge order, i.e. the lower source.
		sort.SliceStable(cands, func(a, b int) bool { return cands[a].score > cands[b].score })
		for _, c := range cands[:2] {
			pairs = append(pairs, Pair{Op: lists[c.edge][c.op], Source: s.Edges[c.edge].Source})
		}
	}
	return pairs
}

func kindName(reduce bool) string {
	if reduce {
		return "reduce"
	}
	return "normal"
}

// softmax returns the softmax of logits, shifted by the maximum for stability.
func softmax(logits []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range logits {
		m = max(m, v)
	}
	w := make([]float64, len(logits))
	var sum float64
	for i, v := range logits {
		w[i] = math.Exp(v - m)
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

func concatRange(steps int) []int {
	c := make([]int, steps)
	for i := range c {
		c[i] = i + 2
	}
	return c
}

// OneHot maps a genotype of s back to α, as RS-ws feeds it to the supernet:
// per cell kind one row per edge, 1 at the chosen op of each kept edge, and
// all-zero rows for dropped edges. It returns an error if g is not an
// architecture of s (see Genotype.ValidateIn), for instance if a pair's op is
// not in its edge's list. For a shared space normal and reduce are equal.
func OneHot(s Space, g Genotype) (normal, reduce [][]float64, err error) {
	return oneHot(s, g)
}

func oneHot(s Space, g Genotype) (normal, reduce [][]float64, err error) {
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, nil, err
	}
	if normal, err = oneHotCell(s, false, g.Normal, g.NormalConcat); err != nil {
		return nil, nil, err
	}
	if reduce, err = oneHotCell(s, true, g.Reduce, g.ReduceConcat); err != nil {
		return nil, nil, err
	}
	if s.Shared && !slices.EqualFunc(normal, reduce, slices.Equal) {
		return nil, nil, fmt.Errorf("genotype: space %s shares one α, but the reduction cell differs from the normal cell", s.Name)
	}
	return normal, reduce, nil
}

func oneHotCell(s Space, reduce bool, pairs []Pair, concat []int) ([][]float64, error) {
	kind := kindName(reduce)
	if len(pairs) != 2*s.Steps {
		return nil, fmt.Errorf("genotype: %s has %d nodes; space %s has %d", kind, len(pairs)/2, s.Name, s.Steps)
	}
	if !slices.Equal(concat, concatRange(s.Steps)) {
		return nil, fmt.Errorf("genotype: %s_concat %v; space %s concatenates range(2, %d)", kind, concat, s.Name, s.Steps+2)
	}
	lists := s.Ops(reduce)
	rows, cols := s.AlphaShape(reduce)
	alpha := make([][]float64, rows)
	for e := range alpha {
		alpha[e] = make([]float64, cols)
	}
	for k, p := range pairs {
		e := slices.Index(s.Edges, Edge{Node: k / 2, Source: p.Source})
		if e < 0 {
			return nil, fmt.Errorf("genotype: %s pair %d: space %s has no edge from source %d into node %d", kind, k, s.Name, p.Source, k/2)
		}
		op := slices.Index(lists[e], p.Op)
		if op < 0 {
			return nil, fmt.Errorf("genotype: %s pair %d: op %q is not on edge %d of space %s (ops %v)", kind, k, p.Op, e, s.Name, lists[e])
		}
		if k%2 == 1 && p.Source == pairs[k-1].Source {
			return nil, fmt.Errorf("genotype: %s node %d takes source %d twice; one α row holds one op", kind, k/2, p.Source)
		}
		alpha[e][op] = 1
	}
	return alpha, nil
}
