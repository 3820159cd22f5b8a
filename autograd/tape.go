// Package autograd is rdarts' reverse-mode automatic differentiation: a tape
// of Vars, each op's forward and backward written side by side.
//
// A Var is a value and, if it requires one, a gradient. Leaves are made with
// Leaf (parameters: w, α, or inputs); their Requires flag chooses which
// gradients a backward pass computes, so the α step of a search never pays
// for weight gradients and the w step never for α gradients. Intermediate
// values and gradients come from the tape's arena and are recycled by Reset;
// the same shapes every step means no garbage after the first one.
//
// Ops never modify their inputs. Gradients accumulate (+=): the caller zeroes
// leaf gradients (ZeroGrad) before a backward pass.
package autograd

import (
	"fmt"
	"slices"

	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/parallel"
	"github.com/rdarts/rdarts/internal/vec"
	"github.com/rdarts/rdarts/tensor"
)

// Var is a value in a computation and, when Requires is set, its gradient.
type Var struct {
	Value    *tensor.Tensor
	Grad     *tensor.Tensor // leaf: owned by the caller; intermediate: from the arena
	Requires bool
	leaf     bool
	back     func()
	// donated marks a gradient buffer handed on to an input (passGrads):
	// it lives on as that input's gradient and must not be freed.
	donated bool
	// shared marks a gradient buffer that other Vars read too (passGrads):
	// it must not be written, nor handed on as writable.
	shared bool
	uses   int // ops recorded with this Var as an input
	at     int // position on the tape (record)
}

// Leaf wraps a tensor as a graph input. With requires set it gets a gradient
// buffer of its own that persists across tapes.
func Leaf(t *tensor.Tensor, requires bool) *Var {
	v := &Var{Value: t, Requires: requires, leaf: true}
	if requires {
		v.Grad = tensor.New(t.Shape...)
	}
	return v
}

// SetRequires turns gradient computation for a leaf on or off.
func (v *Var) SetRequires(r bool) {
	if !v.leaf {
		panic("autograd: SetRequires on a non-leaf Var")
	}
	v.Requires = r
	if r && v.Grad == nil {
		v.Grad = tensor.New(v.Value.Shape...)
	}
}

// ZeroGrad clears a leaf's gradient.
func (v *Var) ZeroGrad() {
	if v.Grad != nil {
		v.Grad.Zero()
	}
}

// Shape is the value's shape.
func (v *Var) Shape() []int { return v.Value.Shape }

// Tape records ops for one forward/backward pass.
type Tape struct {
	K      kernels.Backend
	NoGrad bool // record nothing: evaluation
	// Kinks, when set, records or replays ReLU and max-pool choices.
	Kinks *Kinks
	arena *tensor.Arena
	nodes []*Var
}

// NewTape returns a tape computing with backend k.
func NewTape(k kernels.Backend) *Tape { return &Tape{K: k, arena: tensor.NewArena()} }

// Reset forgets the recorded graph and recycles every intermediate buffer.
// Vars produced since the previous Reset must not be used afterwards.
func (t *Tape) Reset() {
	clear(t.nodes)
	t.nodes = t.nodes[:0]
	t.arena.Release()
	if t.Kinks != nil {
		t.Kinks.start()
	}
}

// Arena exposes the tape's buffer pool, for ops defined outside the package.
func (t *Tape) Arena() *tensor.Arena { return t.arena }

// MemoryBytes reports what the arena holds.
func (t *Tape) MemoryBytes() int { return t.arena.Bytes() }

// Const wraps a tensor that needs no gradient.
func (t *Tape) Const(x *tensor.Tensor) *Var { return &Var{Value: x} }

// out makes the result Var of an op; it requires a gradient if any input does
// and the tape is recording.
func (t *Tape) out(val *tensor.Tensor, inputs ...*Var) *Var {
	v := &Var{Value: val}
	if t.NoGrad {
		return v
	}
	for _, in := range inputs {
		if in != nil {
			if !in.leaf {
				in.uses++ // leaves live across passes and never share
			}
			v.Requires = v.Requires || in.Requires
		}
	}
	return v
}

// record attaches a backward closure to v if it needs one.
func (t *Tape) record(v *Var, back func()) {
	if v.Requires {
		v.back, v.at = back, len(t.nodes)
		t.nodes = append(t.nodes, v)
	}
}

// gradBuf returns v's gradient buffer and whether it is fresh: just
// allocated, contents undefined, so the caller writes instead of adding.
// Skipping the zero fill matters: it was the largest single cost of a step.
func (t *Tape) gradBuf(v *Var) ([]float32, bool) {
	if v.Grad == nil {
		v.Grad = t.arena.Get(v.Value.Shape...)
		return v.Grad.Data, true
	}
	return v.Grad.Data, false
}

// accum adds a·src into v's gradient (writing it if fresh).
func (t *Tape) accum(v *Var, a float32, src []float32) {
	dst, fresh := t.gradBuf(v)
	parallel.For(len(dst), grain, func(_, lo, hi int) { vec.Axpy(dst[lo:hi], a, src[lo:hi], !fresh) })
}

// passGrads gives every input x of y = Σ x the gradient dy of y, without
// copying it where it can:
//   - Inputs that y alone consumes and that have no gradient yet share y's
//     buffer, read only (no other op will add to their gradients): the
//     node sums of a cell, whose inputs are edge outputs. The sharer
//     recorded first runs its backward last and frees the buffer.
//   - Otherwise one intermediate input with no gradient yet takes y's
//     buffer as its own (y's backward has run, so nothing reads it again,
//     and later contributions to x add into it).
//   - The others get dy added to (or written into) their gradient.
func (t *Tape) passGrads(y *Var, xs []*Var) {
	var share []*Var
	if !y.shared {
		for _, x := range xs {
			if x.Requires && !x.leaf && x.Grad == nil && x.uses == 1 {
				share = append(share, x)
			}
		}
	}
	if len(share) > 0 {
		last := share[0]
		for _, x := range share {
			if x.at < last.at {
				last = x
			}
		}
		for _, x := range share {
			x.Grad, x.shared, x.donated = y.Grad, true, x != last
		}
		y.donated = true
	}
	aliased := len(share) > 0 || y.shared
	for _, x := range xs {
		switch {
		case !x.Requires || slices.Contains(share, x):
		case !aliased && x.Grad == nil && !x.leaf:
			x.Grad, y.donated, aliased = y.Grad, true, true
		default:
			t.accum(x, 1, y.Grad.Data)
		}
	}
}

// grad returns v's gradient buffer, allocating a zeroed one if needed.
func (t *Tape) grad(v *Var) []float32 {
	if v.Grad == nil {
		v.Grad = t.arena.Zeros(v.Value.Shape...)
	}
	return v.Grad.Data
}

// Backward computes the gradient of the scalar loss with respect to every
// leaf that requires one (added to the leaves' Grad).
func (t *Tape) Backward(loss *Var) {
	if loss.Value.Len() != 1 {
		panic(fmt.Sprintf("autograd: Backward needs a scalar loss, have shape %v", loss.Shape()))
	}
	t.BackwardFrom(loss, []float32{1})
}

// BackwardFrom propagates a given output gradient dy (a vector-Jacobian
// product): every leaf that requires a gradient gets dyᵀ·∂y/∂leaf added.
func (t *Tape) BackwardFrom(y *Var, dy []float32) {
	if len(dy) != y.Value.Len() {
		panic(fmt.Sprintf("autograd: BackwardFrom: %d seed values for shape %v", len(dy), y.Shape()))
	}
	if !y.Requires {
		return
	}
	t.accum(y, 1, dy)
	for i := len(t.nodes) - 1; i >= 0; i-- {
		n := t.nodes[i]
		if n.Grad == nil {
			continue
		}
		n.back()
		// Nothing reads n's gradient again: recycle it for the gradients
		// still to come, which roughly halves a step's peak memory.
		if !n.donated && n != y {
			t.arena.Put(n.Grad.Data)
			n.Grad = nil
		}
	}
}

func mustSame(op string, a, b *Var) {
	if !tensor.SameShape(a.Shape(), b.Shape()) {
		panic(fmt.Sprintf("autograd: %s: shapes %v and %v differ", op, a.Shape(), b.Shape()))
	}
}
