package space

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
)

// Sample draws a random architecture of s for RS-ws (docs/method.md, RS-ws): per node and
// cell kind two distinct incoming edges uniformly, and for each an op
// uniformly from that edge's list (none and noise included). On a fixed
// topology (exactly two edges per node, as in s5) only the ops are drawn. The
// two pairs of a node are in source order; the reduction cell of a shared
// space is a copy of the normal cell. Sample panics if s is invalid.
func Sample(s Space, r *rand.Rand) Genotype {
	if err := s.Validate(); err != nil {
		panic("space: Sample: " + err.Error())
	}
	g := Genotype{
		Normal:       sampleCell(s, false, r),
		NormalConcat: concatRange(s.Steps),
		ReduceConcat: concatRange(s.Steps),
	}
	if s.Shared {
		g.Reduce = slices.Clone(g.Normal)
	} else {
		g.Reduce = sampleCell(s, true, r)
	}
	return g
}

func sampleCell(s Space, reduce bool, r *rand.Rand) []Pair {
	lists := s.Ops(reduce)
	var pairs []Pair
	for _, edges := range s.nodeRows() {
		a := r.IntN(len(edges))
		b := r.IntN(len(edges) - 1)
		if b >= a { // skip a: b is uniform over the other edges
			b++
		}
		a, b = min(a, b), max(a, b)
		for _, e := range []int{edges[a], edges[b]} {
			ops := lists[e]
			pairs = append(pairs, Pair{Op: ops[r.IntN(len(ops))], Source: s.Edges[e].Source})
		}
	}
	return pairs
}

// Count returns the number of architectures Sample can draw from s: per node
// an unordered pair of distinct edges and an op on each, for both cell kinds
// (once for a shared space). Genotypes that differ only in ways a network
// cannot tell apart (isomorphic cells, none on an edge) are counted apart.
// Count panics if s is invalid.
func Count(s Space) *big.Int {
	if err := s.Validate(); err != nil {
		panic("space: Count: " + err.Error())
	}
	n := countCell(s, false)
	if !s.Shared {
		n.Mul(n, countCell(s, true))
	}
	return n
}

func countCell(s Space, reduce bool) *big.Int {
	lists := s.Ops(reduce)
	n := big.NewInt(1)
	for _, edges := range s.nodeRows() {
		var node int64
		for i, a := range edges {
			for _, b := range edges[i+1:] {
				node += int64(len(lists[a]) * len(lists[b]))
			}
		}
		n.Mul(n, big.NewInt(node))
	}
	return n
}

// Enumerate returns every architecture Count counts, in a stable order: the
// normal cell varies slowest, and within a cell node 0 varies slowest; a node
// runs through its edge pairs in edge order and, per pair, through the op of
// the first edge, then the second. Pairs are in source order, as Sample puts
// them. It returns an error if there are more than limit architectures.
func Enumerate(s Space, limit int) ([]Genotype, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if n := Count(s); n.Cmp(big.NewInt(int64(limit))) > 0 {
		return nil, fmt.Errorf("space %s: %s architectures, more than the limit %d", s.Name, n, limit)
	}
	normal := enumerateCell(s, false)
	reduce := [][]Pair{nil} // one α: the reduction cell copies the normal cell
	if !s.Shared {
		reduce = enumerateCell(s, true)
	}
	var out []Genotype
	for _, nc := range normal {
		for _, rc := range reduce {
			if s.Shared {
				rc = nc
			}
			out = append(out, Genotype{
				Normal: slices.Clone(nc), NormalConcat: concatRange(s.Steps),
				Reduce: slices.Clone(rc), ReduceConcat: concatRange(s.Steps),
			})
		}
	}
	return out, nil
}

// enumerateCell lists every cell of one kind as its pairs.
func enumerateCell(s Space, reduce bool) [][]Pair {
	lists := s.Ops(reduce)
	cells := [][]Pair{nil}
	for _, edges := range s.nodeRows() {
		var next [][]Pair
		for _, prefix := range cells {
			for i, a := range edges {
				for _, b := range edges[i+1:] {
					for _, opA := range lists[a] {
						for _, opB := range lists[b] {
							c := append(slices.Clip(prefix),
								Pair{Op: opA, Source: s.Edges[a].Source},
								Pair{Op: opB, Source: s.Edges[b].Source})
							next = append(next, c)
						}
					}
				}
			}
		}
		cells = next
	}
	return cells
}
