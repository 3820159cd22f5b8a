package autograd

import "fmt"

// Kinks freezes the piecewise choices of a network — which ReLU inputs are
// positive, which pixel wins each max pool — across forward passes.
//
// Finite differences of a ReLU network's gradient are dominated by units
// that flip between the two evaluations, so a Hessian built from them is
// noise. With the choices recorded at the base point and replayed at the
// perturbed ones, the function is smooth and its finite-difference Hessian
// is the Hessian that double back-propagation computes (the reference's
// exact Hessian, which treats ReLU's second derivative as 0).
//
// Ops are matched by their order in the forward pass, so every replayed
// pass must run the same graph as the recorded one.
type Kinks struct {
	replay bool
	relu   [][]uint64
	pool   [][]int32
	nr, np int
}

// Record makes the next passes store their choices (dropping old ones).
func (k *Kinks) Record() { k.replay, k.relu, k.pool = false, k.relu[:0], k.pool[:0] }

// Replay makes the next passes reuse the recorded choices.
func (k *Kinks) Replay() { k.replay = true }

// start rewinds to the first op of a forward pass.
func (k *Kinks) start() { k.nr, k.np = 0, 0 }

// reluMask returns the active-set bitset for the next ReLU over n values:
// recorded from x, or replayed.
func (k *Kinks) reluMask(x []float32) []uint64 {
	defer func() { k.nr++ }()
	if k.replay {
		if k.nr >= len(k.relu) || len(k.relu[k.nr]) != (len(x)+63)/64 {
			panic(fmt.Sprintf("autograd: Kinks: replayed pass differs from the recorded one at ReLU %d", k.nr))
		}
		return k.relu[k.nr]
	}
	m := make([]uint64, (len(x)+63)/64)
	for i, v := range x {
		if v > 0 {
			m[i/64] |= 1 << (i % 64)
		}
	}
	k.relu = append(k.relu, m)
	return m
}

// poolArg returns the recorded winners of the next max pool, or records arg.
func (k *Kinks) poolArg(arg []int32) ([]int32, bool) {
	defer func() { k.np++ }()
	if k.replay {
		if k.np >= len(k.pool) || len(k.pool[k.np]) != len(arg) {
			panic(fmt.Sprintf("autograd: Kinks: replayed pass differs from the recorded one at max pool %d", k.np))
		}
		return k.pool[k.np], true
	}
	k.pool = append(k.pool, append([]int32(nil), arg...))
	return arg, false
}
