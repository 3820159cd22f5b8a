package search

import "github.com/rdarts/rdarts/space"

// SearchBytes estimates the memory of a search step: the one-shot
// network's activations and gradients, which dominate. Per cell, every
// edge's candidate ops keep about six tensors of the cell's node size
// (measured peaks: S2 and the DARTS space at the paper's size need 5 and 4
// such tensors per op); the weights and their optimiser state add little.
// It errs on the high side, to refuse only what cannot fit.
func SearchBytes(sp space.Space, c Config, inC, h, w int) float64 {
	ops := 0
	for _, l := range append(sp.Ops(false), sp.Ops(true)...) {
		ops = max(ops, len(l))
	}
	const perOp = 6
	var floats float64
	ch, hh, ww := float64(c.Channels), float64(h), float64(w)
	for i := range c.Layers {
		if i == c.Layers/3 || i == 2*c.Layers/3 {
			ch, hh, ww = 2*ch, (hh+1)/2, (ww+1)/2
		}
		node := ch * hh * ww
		floats += node * float64(len(sp.Edges)*ops*perOp+2*sp.Steps)
	}
	floats *= float64(c.BatchSize)
	floats += 3 * float64(c.BatchSize) * float64(inC*h*w) // input batches
	return 4 * floats
}
