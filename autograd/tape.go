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
	// donated marks a gradient buffer handed on to an input (passGrad):
	// it lives on as that input's gradient and must not be freed.
	donated bool
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
		if in != nil && in.Requires {
			v.Requires = true
			break
		}
	}
	return v
}

// record attaches a backward closure to v if it needs one.
func (t *Tape) record(v *Var, back func()) {
	if v.Requires {
		v.back = back
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

// passGrad gives x the gradient dy of an output y that is x plus other
// terms. If mayAlias, an intermediate x with no gradient yet takes y's buffer
// itself (no copy): y's backward has run, so nothing reads it again, and
// later contributions to x may add into it. Only one input of an output may
// alias its buffer; passGrad reports whether x did.
func (t *Tape) passGrad(x, y *Var, mayAlias bool) bool {
	if mayAlias && x.Grad == nil && !x.leaf {
		x.Grad = y.Grad
		y.donated = true
		return true
	}
	t.accum(x, 1, y.Grad.Data)
	return false
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
