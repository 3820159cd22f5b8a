package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels/purego"
	"github.com/rdarts/rdarts/tensor"
)

func TestGradRecurrent(t *testing.T) {
	x := []int{3, 5}
	ids := []int32{2, 0, 2, 4, 1, 2} // repeated ids accumulate into one row
	checkOp(t, "embedding", []input{{shape: []int{5, 4}}}, func(tp *Tape, xs []*Var) *Var { return tp.Embedding(xs[0], ids, nil) })
	checkOp(t, "embedding_rowdrop", []input{{shape: []int{5, 4}}}, func(tp *Tape, xs []*Var) *Var {
		return tp.Embedding(xs[0], ids, []float32{1.25, 0, 1.25, 1.25, 0})
	})
	checkOp(t, "tanh", []input{{shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.Tanh(xs[0]) })
	checkOp(t, "sigmoid", []input{{shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.Sigmoid(xs[0]) })
	checkOp(t, "mul", []input{{shape: x}, {shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.Mul(xs[0], xs[1]) })
	checkOp(t, "mul_self", []input{{shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.Mul(xs[0], xs[0]) })
	checkOp(t, "sub", []input{{shape: x}, {shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.Sub(xs[0], xs[1]) })
	// A locked-dropout mask of 2×3 shared by 4 time steps.
	mask := []float32{0, 4, 4, 4, 0, 0}
	checkOp(t, "mulmask", []input{{shape: []int{4, 2, 3}}}, func(tp *Tape, xs []*Var) *Var { return tp.MulMask(xs[0], mask) })
	checkOp(t, "concatcols", []input{{shape: []int{3, 2}}, {shape: []int{3, 4}}}, func(tp *Tape, xs []*Var) *Var {
		return tp.ConcatCols(xs[0], xs[1], xs[0])
	})
	checkOp(t, "stackrows", []input{{shape: x}, {shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.StackRows(xs[0], xs[1], xs[0]) })
	checkOp(t, "rows", []input{{shape: []int{4, 2, 3}}}, func(tp *Tape, xs []*Var) *Var { return tp.Rows(xs[0], 1, 3) })
	checkOp(t, "reshape", []input{{shape: []int{4, 2, 3}}}, func(tp *Tape, xs []*Var) *Var { return tp.Reshape(xs[0], 8, 3) })
	checkOp(t, "mean", []input{{shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.Mean(xs[0]) })
	// The reference's loss: log-softmax and NLL over a vocabulary is the
	// existing CrossEntropy; here fed by a tied decoder.
	checkOp(t, "tied_decoder_nll", []input{{shape: []int{5, 4}}, {shape: []int{6, 4}}, {shape: []int{5}}}, func(tp *Tape, xs []*Var) *Var {
		return tp.CrossEntropy(tp.Linear(xs[1], xs[0], xs[2]), []int32{0, 4, 4, 1, 2, 3})
	})
}

var allActs = []Act{ActTanh, ActReLU, ActSigmoid, ActIdentity}

func TestGradHighway(t *testing.T) {
	// Inputs: weights (with an unused leading entry, as for none), s, ch.
	// ch is distinct so ReLU has no kink within the difference step.
	ins := []input{{shape: []int{5}}, {shape: []int{3, 4}}, {shape: []int{3, 8}, distinct: true}}
	checkOp(t, "highway_mixed", ins, func(tp *Tape, xs []*Var) *Var { return tp.Highway(xs[0], 1, allActs, xs[1], xs[2]) })
	for _, a := range allActs {
		checkOp(t, "highway_"+a.String(), ins, func(tp *Tape, xs []*Var) *Var {
			return tp.Highway(xs[0], 2, []Act{a}, xs[1], xs[2])
		})
	}
	// s and ch from one state, as in the cell: ch = s·W (smooth acts: a
	// computed u may sit on ReLU's kink).
	checkOp(t, "highway_cell", []input{{shape: []int{3}}, {shape: []int{3, 4}}, {shape: []int{8, 4}}}, func(tp *Tape, xs []*Var) *Var {
		s := tp.Tanh(xs[1])
		return tp.Highway(xs[0], 0, []Act{ActTanh, ActSigmoid, ActIdentity}, s, tp.Linear(s, xs[2], nil))
	})
}

// composedHighway is Highway written with the primitive ops.
func composedHighway(tp *Tape, w *Var, off int, acts []Act, s, ch *Var) *Var {
	b, d := s.Shape()[0], s.Shape()[1]
	// Split ch's columns with Rows on its transpose-free layout: reshape to
	// B×2×D, then take the halves per row.
	c := make([]*Var, b)
	u := make([]*Var, b)
	for r := 0; r < b; r++ {
		row := tp.Reshape(tp.Rows(ch, r, r+1), 2, d)
		c[r], u[r] = tp.Reshape(tp.Rows(row, 0, 1), d), tp.Reshape(tp.Rows(row, 1, 2), d)
	}
	cv := tp.Sigmoid(tp.StackRows(c...))
	uv := tp.StackRows(u...)
	terms := make([]*Var, len(acts))
	for k, a := range acts {
		var f *Var
		switch a {
		case ActTanh:
			f = tp.Tanh(uv)
		case ActReLU:
			f = tp.ReLU(uv)
		case ActSigmoid:
			f = tp.Sigmoid(uv)
		case ActIdentity:
			f = uv
		}
		terms[k] = tp.Add(s, tp.Mul(cv, tp.Sub(f, s)))
	}
	return tp.WeightedSum(w, off, terms)
}

func TestHighwayComposed(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	w := makeInput(r, input{shape: []int{5}})
	s := makeInput(r, input{shape: []int{3, 4}})
	ch := makeInput(r, input{shape: []int{3, 8}, distinct: true})
	seed := makeInput(r, input{shape: []int{3, 4}})
	run := func(f func(tp *Tape, w *Var, off int, acts []Act, s, ch *Var) *Var) [][]float32 {
		tp := NewTape(purego.Backend{})
		vs := []*Var{Leaf(w, true), Leaf(s, true), Leaf(ch, true)}
		y := f(tp, vs[0], 1, allActs, vs[1], vs[2])
		tp.BackwardFrom(y, seed.Data)
		return [][]float32{append([]float32(nil), y.Value.Data...), vs[0].Grad.Data, vs[1].Grad.Data, vs[2].Grad.Data}
	}
	got, want := run((*Tape).Highway), run(composedHighway)
	for i, name := range []string{"value", "∂w", "∂s", "∂ch"} {
		close32(t, "highway "+name, got[i], want[i], 1e-5)
	}
}

func TestEmbeddingValues(t *testing.T) {
	tp := NewTape(purego.Backend{})
	w := Leaf(tensor.From([]float32{1, 2, 3, 4, 5, 6}, 3, 2), true)
	y := tp.Embedding(w, []int32{2, 0, 2}, []float32{2, 1, 0.5})
	close32(t, "embedding", y.Value.Data, []float32{2.5, 3, 2, 4, 2.5, 3}, 0)
	tp.BackwardFrom(y, []float32{1, 1, 1, 1, 1, 1})
	// Row 1 was not looked up: its gradient stays 0.
	close32(t, "embedding grad", w.Grad.Data, []float32{2, 2, 0, 0, 1, 1}, 0)
}

// TestHighwayKinks: a replayed Highway keeps the recorded ReLU active set
// at an input where u changed sign.
func TestHighwayKinks(t *testing.T) {
	tp := NewTape(purego.Backend{})
	tp.Kinks = &Kinks{}
	w := tp.Const(tensor.From([]float32{1}, 1))
	s := tp.Const(tensor.From([]float32{0, 0}, 1, 2))
	// c = σ(large) ≈ 1 so y ≈ relu(u).
	at := func(u0, u1 float32) []float32 {
		tp.Reset()
		ch := tp.Const(tensor.From([]float32{30, 30, u0, u1}, 1, 4))
		return tp.Highway(w, 0, []Act{ActReLU}, s, ch).Value.Data
	}
	tp.Kinks.Record()
	close32(t, "recorded", at(0.5, -0.5), []float32{0.5, 0}, 1e-6)
	tp.Kinks.Replay()
	close32(t, "replayed", at(-0.25, 0.25), []float32{-0.25, 0}, 1e-6)
}

// BenchmarkHighway times one mixed edge of the search cell (batch 256,
// 300 units, four activations), forward and backward with ∂α.
func BenchmarkHighway(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	w := Leaf(makeInput(r, input{shape: []int{5}}), true)
	s := Leaf(makeInput(r, input{shape: []int{256, 300}}), true)
	ch := Leaf(makeInput(r, input{shape: []int{256, 600}}), true)
	seed := makeInput(r, input{shape: []int{256, 300}}).Data
	tp := NewTape(purego.Backend{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tp.Reset()
		tp.BackwardFrom(tp.Highway(w, 1, allActs, s, ch), seed)
	}
}

func TestGradVocabNLL(t *testing.T) {
	checkOp(t, "vocabnll", []input{{shape: []int{5, 7}}}, func(tp *Tape, xs []*Var) *Var {
		return tp.VocabNLL(xs[0], []int32{0, 6, 6, 1, 3})
	})
	// Inside a graph: the logits' gradient buffer already holds a term.
	checkOp(t, "vocabnll_shared", []input{{shape: []int{3, 4}}}, func(tp *Tape, xs []*Var) *Var {
		a := tp.Scale(xs[0], 2)
		return tp.Add(tp.VocabNLL(a, []int32{1, 2, 3}), tp.Mean(a))
	})
}

// TestVocabNLL compares VocabNLL with CrossEntropy, value and gradient, on
// rows as wide as a vocabulary and with large logits.
func TestVocabNLL(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	const n, k = 37, 3001
	x := tensor.New(n, k)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64() * 4)
	}
	x.Data[5] = 80 // a dominant logit
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(r.IntN(k))
	}
	run := func(f func(tp *Tape, v *Var) *Var) ([]float32, []float32) {
		tp := NewTape(purego.Backend{})
		v := Leaf(x, true)
		y := f(tp, v)
		tp.Backward(y)
		return y.Value.Data, v.Grad.Data
	}
	yv, gv := run(func(tp *Tape, v *Var) *Var { return tp.VocabNLL(v, labels) })
	yc, gc := run(func(tp *Tape, v *Var) *Var { return tp.CrossEntropy(v, labels) })
	close32(t, "VocabNLL value", yv, yc, 1e-5)
	worst := 0.0
	for i := range gv {
		worst = max(worst, math.Abs(float64(gv[i]-gc[i])))
	}
	if worst > 5e-8 { // a few float32 ulps of the largest entries (1/n)
		t.Errorf("VocabNLL gradient differs from CrossEntropy's by up to %.3g", worst)
	}
}
