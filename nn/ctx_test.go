package nn

import (
	"testing"

	"github.com/rdarts/rdarts/autograd"
	"github.com/rdarts/rdarts/internal/kernels/purego"
	"github.com/rdarts/rdarts/tensor"
)

// TestDetached: a detached computation records nothing, shares no cached
// activation with the recorded pass, and restores the tape's settings.
func TestDetached(t *testing.T) {
	tp := autograd.NewTape(purego.Backend{})
	c := &Ctx{T: tp, Train: true}
	c.Begin()
	x := autograd.Leaf(tensor.From([]float32{-1, 2, -3, 4}, 4), true)
	var inside, shared *autograd.Var
	c.Detached(func() {
		if !tp.NoGrad {
			t.Error("Detached: tape still recording")
		}
		inside = c.ReLU(x)
		if c.ReLU(x) != inside {
			t.Error("Detached: activation not cached within the detached part")
		}
	})
	if tp.NoGrad {
		t.Error("NoGrad not restored")
	}
	if inside.Requires {
		t.Error("a detached activation requires a gradient")
	}
	y := c.ReLU(x)
	if y == inside || !y.Requires {
		t.Error("the recorded pass reused the detached activation")
	}
	c.Detached(func() { shared = c.ReLU(x) })
	if shared != y {
		t.Error("a detached part did not reuse the recorded activation")
	}
}
