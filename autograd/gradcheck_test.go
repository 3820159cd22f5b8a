package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rdarts/rdarts/internal/kernels"
	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/kernels/purego"
	"github.com/rdarts/rdarts/tensor"
)

// backends are the implementations every op is checked with.
var backends = []kernels.Backend{purego.Backend{}, fast.Backend{}}

// input describes one argument of an op under test.
type input struct {
	shape []int
	// distinct spaces the values apart (≥ 0.05) so that max pooling and ReLU
	// have no ties or kinks within the finite-difference step.
	distinct bool
	// positive keeps values in [0.5, 1.5] (e.g. for BN gamma) .
	noGrad bool
}

func makeInput(r *rand.Rand, in input) *tensor.Tensor {
	x := tensor.New(in.shape...)
	if in.distinct {
		perm := r.Perm(x.Len())
		for i, p := range perm {
			x.Data[i] = float32(p-x.Len()/2)*0.05 + 0.025
		}
		return x
	}
	for i := range x.Data {
		x.Data[i] = float32(r.Float64()*2 - 1)
	}
	return x
}

// checkOp compares the gradient of L = Σ R⊙op(inputs) computed by the tape
// with float64 central differences, for every input and every backend.
func checkOp(t *testing.T, name string, ins []input, op func(tp *Tape, xs []*Var) *Var) {
	t.Helper()
	for _, k := range backends {
		t.Run(name+"/"+k.Name(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(name))))
			vals := make([]*tensor.Tensor, len(ins))
			for i, in := range ins {
				vals[i] = makeInput(r, in)
			}
			loss := func(seed []float32) (float64, *Var) {
				tp := NewTape(k)
				tp.NoGrad = seed == nil
				xs := make([]*Var, len(vals))
				for i, v := range vals {
					xs[i] = Leaf(v, !ins[i].noGrad && seed != nil)
				}
				y := op(tp, xs)
				if seed == nil {
					return 0, y
				}
				tp.BackwardFrom(y, seed)
				return 0, y
			}
			_, y0 := loss(nil)
			seed := make([]float32, y0.Value.Len())
			for i := range seed {
				seed[i] = float32(r.Float64()*2 - 1)
			}
			value := func() float64 {
				_, y := loss(nil)
				var s float64
				for i, v := range y.Value.Data {
					s += float64(v) * float64(seed[i])
				}
				return s
			}
			// Analytic gradients.
			tp := NewTape(k)
			xs := make([]*Var, len(vals))
			for i, v := range vals {
				xs[i] = Leaf(v, !ins[i].noGrad)
			}
			tp.BackwardFrom(op(tp, xs), seed)
			const eps = 1e-2
			for i, v := range vals {
				if ins[i].noGrad {
					continue
				}
				idx := r.Perm(v.Len())
				if len(idx) > 48 {
					idx = idx[:48]
				}
				for _, j := range idx {
					old := v.Data[j]
					v.Data[j] = old + eps
					lp := value()
					v.Data[j] = old - eps
					lm := value()
					v.Data[j] = old
					num := (lp - lm) / (2 * eps)
					got := float64(xs[i].Grad.Data[j])
					if math.Abs(got-num) > 2e-3+2e-2*math.Abs(num) {
						t.Errorf("input %d %v element %d: analytic %.6f, numeric %.6f", i, v.Shape, j, got, num)
					}
				}
			}
		})
	}
}

func conv(o ConvOpts) func(tp *Tape, xs []*Var) *Var {
	return func(tp *Tape, xs []*Var) *Var { return tp.Conv2d(xs[0], xs[1], o) }
}

func TestGradConv(t *testing.T) {
	cases := []struct {
		x, w []int
		o    ConvOpts
	}{
		{[]int{2, 3, 6, 6}, []int{6, 3, 3, 3}, ConvOpts{Pad: [2]int{1, 1}}},                                                          // stem 3x3
		{[]int{2, 4, 7, 7}, []int{4, 1, 3, 3}, ConvOpts{Pad: [2]int{1, 1}, Groups: 4}},                                               // depthwise
		{[]int{2, 4, 7, 7}, []int{4, 1, 3, 3}, ConvOpts{Stride: [2]int{2, 2}, Pad: [2]int{1, 1}, Groups: 4}},                         // depthwise s2 odd
		{[]int{1, 3, 7, 7}, []int{3, 1, 5, 5}, ConvOpts{Stride: [2]int{2, 2}, Pad: [2]int{4, 4}, Dilation: [2]int{2, 2}, Groups: 3}}, // dil 5x5
		{[]int{2, 3, 6, 6}, []int{3, 1, 3, 3}, ConvOpts{Pad: [2]int{2, 2}, Dilation: [2]int{2, 2}, Groups: 3}},                       // dil 3x3
		{[]int{2, 4, 5, 5}, []int{6, 4, 1, 1}, ConvOpts{}},                                                                           // 1x1
		{[]int{2, 4, 6, 6}, []int{2, 4, 1, 1}, ConvOpts{Stride: [2]int{2, 2}}},                                                       // 1x1 s2 (FactorizedReduce)
		{[]int{1, 3, 8, 8}, []int{3, 3, 1, 7}, ConvOpts{Stride: [2]int{1, 2}, Pad: [2]int{0, 3}}},                                    // 1x7
		{[]int{1, 3, 8, 4}, []int{3, 3, 7, 1}, ConvOpts{Stride: [2]int{2, 1}, Pad: [2]int{3, 0}}},                                    // 7x1
		{[]int{1, 4, 5, 5}, []int{6, 2, 3, 3}, ConvOpts{Pad: [2]int{1, 1}, Groups: 2}},                                               // grouped
	}
	for i, c := range cases {
		checkOp(t, fmt.Sprintf("conv%d", i), []input{{shape: c.x}, {shape: c.w}}, conv(c.o))
	}
}

func TestGradPool(t *testing.T) {
	for _, c := range []struct{ h, k, s, p int }{{7, 3, 1, 1}, {7, 3, 2, 1}, {8, 3, 2, 1}, {8, 5, 3, 0}} {
		x := []input{{shape: []int{2, 2, c.h, c.h}, distinct: true}}
		checkOp(t, fmt.Sprintf("max%d_%d_%d_%d", c.h, c.k, c.s, c.p), x, func(tp *Tape, xs []*Var) *Var { return tp.MaxPool(xs[0], c.k, c.s, c.p) })
		checkOp(t, fmt.Sprintf("avg%d_%d_%d_%d", c.h, c.k, c.s, c.p), x, func(tp *Tape, xs []*Var) *Var { return tp.AvgPool(xs[0], c.k, c.s, c.p) })
	}
	checkOp(t, "gap", []input{{shape: []int{2, 3, 5, 5}}}, func(tp *Tape, xs []*Var) *Var { return tp.GlobalAvgPool(xs[0]) })
}

func TestGradBatchNorm(t *testing.T) {
	for _, train := range []bool{true, false} {
		for _, affine := range []bool{true, false} {
			ins := []input{{shape: []int{3, 2, 4, 4}}}
			if affine {
				ins = append(ins, input{shape: []int{2}}, input{shape: []int{2}})
			}
			checkOp(t, fmt.Sprintf("bnrelu_train%v_affine%v", train, affine), ins, func(tp *Tape, xs []*Var) *Var {
				st := NewBNState(2)
				st.Mean[0], st.Var[1] = 0.3, 2
				if affine {
					return tp.AddN(tp.BatchNormReLU(xs[0], xs[1], xs[2], st, train), tp.Scale(xs[0], 0.5))
				}
				return tp.BatchNormReLU(xs[0], nil, nil, st, train)
			})
			checkOp(t, fmt.Sprintf("bn_train%v_affine%v", train, affine), ins, func(tp *Tape, xs []*Var) *Var {
				st := NewBNState(2)
				st.Mean[0], st.Var[1] = 0.3, 2
				if affine {
					return tp.BatchNorm(xs[0], xs[1], xs[2], st, train)
				}
				return tp.BatchNorm(xs[0], nil, nil, st, train)
			})
		}
	}
}

func TestGradElementwise(t *testing.T) {
	x := []int{2, 3, 4, 4}
	checkOp(t, "relu", []input{{shape: x, distinct: true}}, func(tp *Tape, xs []*Var) *Var { return tp.ReLU(xs[0]) })
	checkOp(t, "softplus", []input{{shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.Softplus(xs[0], 4) })
	checkOp(t, "add", []input{{shape: x}, {shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.Add(xs[0], xs[1]) })
	checkOp(t, "addn", []input{{shape: x}, {shape: x}, {shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.AddN(xs...) })
	checkOp(t, "scale", []input{{shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.Scale(xs[0], -1.7) })
	checkOp(t, "weightedsum", []input{{shape: []int{2, 4}}, {shape: x}, {shape: x}}, func(tp *Tape, xs []*Var) *Var {
		return tp.WeightedSum(xs[0], 4, []*Var{xs[1], nil, xs[2]})
	})
	checkOp(t, "droppath", []input{{shape: x}}, func(tp *Tape, xs []*Var) *Var { return tp.DropPath(xs[0], []float32{0, 1.25}) })
	checkOp(t, "concat", []input{{shape: x}, {shape: []int{2, 1, 4, 4}}}, func(tp *Tape, xs []*Var) *Var { return tp.Concat(xs[0], xs[1]) })
	checkOp(t, "subsample0", []input{{shape: []int{2, 2, 5, 4}}}, func(tp *Tape, xs []*Var) *Var { return tp.Subsample2(xs[0], 0) })
	checkOp(t, "subsample1", []input{{shape: []int{2, 2, 5, 4}}}, func(tp *Tape, xs []*Var) *Var { return tp.Subsample2(xs[0], 1) })
	checkOp(t, "shift", []input{{shape: []int{2, 2, 5, 4}}}, func(tp *Tape, xs []*Var) *Var { return tp.Shift(xs[0]) })
}

// TestGradIntermediate runs ops on intermediate values, shared and
// repeated, so the paths that write a fresh gradient, alias an output's
// gradient or add to an existing one are all taken.
func TestGradIntermediate(t *testing.T) {
	x := []int{2, 3, 4, 4}
	checkOp(t, "shared", []input{{shape: x, distinct: true}}, func(tp *Tape, xs []*Var) *Var {
		a := tp.Scale(xs[0], 1.5)
		b := tp.AddN(a, a, tp.ReLU(a))
		c := tp.Concat(b, a, b)
		return tp.AddN(tp.Shift(c), tp.Shift(tp.Concat(a, a, a)))
	})
	checkOp(t, "mixed", []input{{shape: []int{1, 3}}, {shape: x, distinct: true}}, func(tp *Tape, xs []*Var) *Var {
		a := tp.ReLU(xs[1])
		s := tp.WeightedSum(xs[0], 0, []*Var{a, a, tp.Scale(a, 2)})
		return tp.AddN(s, a, tp.DropPath(a, []float32{2, 0}))
	})
	// Sums whose inputs only they consume share their gradient buffer
	// (passGrads), also when a sum is itself such an input, next to
	// inputs used twice or elsewhere.
	checkOp(t, "node sums", []input{{shape: []int{1, 3}}, {shape: x, distinct: true}, {shape: x}}, func(tp *Tape, xs []*Var) *Var {
		a, b := tp.ReLU(xs[1]), tp.Scale(xs[2], 0.5)
		e1 := tp.WeightedSum(xs[0], 0, []*Var{a, b, nil})
		e2 := tp.WeightedSum(xs[0], 0, []*Var{nil, tp.Scale(a, 3), b})
		inner := tp.AddN(tp.Scale(a, -1), tp.Scale(b, 2))
		p := tp.Scale(b, 1.5)
		n1 := tp.AddN(e1, e2, inner, p, p, b)
		n2 := tp.AddN(tp.Scale(n1, 0.25), tp.AddN(tp.Scale(a, 2), tp.ReLU(n1)))
		return tp.Concat(n1, n2)
	})
}

func TestGradDense(t *testing.T) {
	checkOp(t, "linear", []input{{shape: []int{3, 5}}, {shape: []int{4, 5}}, {shape: []int{4}}}, func(tp *Tape, xs []*Var) *Var {
		return tp.Linear(xs[0], xs[1], xs[2])
	})
	checkOp(t, "softmax", []input{{shape: []int{3, 4}}}, func(tp *Tape, xs []*Var) *Var { return tp.Softmax(xs[0]) })
	checkOp(t, "crossentropy", []input{{shape: []int{4, 3}}}, func(tp *Tape, xs []*Var) *Var {
		return tp.CrossEntropy(xs[0], []int32{0, 2, 1, 2})
	})
	checkOp(t, "sum", []input{{shape: []int{1}}, {shape: []int{1}}}, func(tp *Tape, xs []*Var) *Var {
		return tp.Sum(xs, []float32{1, 0.4})
	})
}

// TestKinksReplay checks that a replayed pass reuses the recorded ReLU and
// max-pool choices: at a perturbed input it differs from a fresh pass exactly
// where a unit flipped, and its gradient check passes where the plain
// function has a kink inside the difference step.
func TestKinksReplay(t *testing.T) {
	x := tensor.From([]float32{-0.3, 0.2, 0.5, -0.1, 0.9, 0.1, -0.6, 0.4, 0.3}, 1, 1, 3, 3)
	k := &Kinks{}
	tp := NewTape(purego.Backend{})
	tp.Kinks = k
	k.Record()
	tp.Reset()
	tp.MaxPool(tp.ReLU(tp.Const(x)), 2, 1, 0)
	// Flip signs and the winners.
	y := tensor.From([]float32{0.3, -0.2, -0.5, 0.1, -0.9, 0.1, 0.6, -0.4, 0.3}, 1, 1, 3, 3)
	k.Replay()
	tp.Reset()
	r := tp.ReLU(tp.Const(y))
	want := []float32{0, -0.2, -0.5, 0, -0.9, 0.1, 0, -0.4, 0.3} // mask from x: positives of x
	for i, v := range r.Value.Data {
		if v != want[i] {
			t.Fatalf("replayed ReLU %v, want %v", r.Value.Data, want)
		}
	}
	m := tp.MaxPool(r, 2, 1, 0)
	// Recorded winners on relu(x) = [0 .2 .5; 0 .9 .1; 0 .4 .3]: .9 .9 / .9 .9 → all index 4.
	for _, v := range m.Value.Data {
		if v != -0.9 {
			t.Fatalf("replayed max pool %v, want the recorded winner's value -0.9", m.Value.Data)
		}
	}
	if len(k.relu) != 1 || len(k.pool) != 1 {
		t.Fatalf("recorded %d ReLUs and %d pools", len(k.relu), len(k.pool))
	}
}

// TestKinksReplayLarge: replaying at the recorded input reproduces ReLU
// and its gradient exactly, across mask words and worker chunks.
func TestKinksReplayLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	x := makeInput(r, input{shape: []int{3, 5, 67, 71}})
	seed := make([]float32, x.Len())
	for i := range seed {
		seed[i] = float32(r.NormFloat64())
	}
	run := func(k *Kinks) ([]float32, []float32) {
		tp := NewTape(fast.Backend{})
		tp.Kinks = k
		tp.Reset()
		in := Leaf(x, true)
		y := tp.ReLU(in)
		tp.BackwardFrom(y, seed)
		return append([]float32(nil), y.Value.Data...), in.Grad.Data
	}
	wantY, wantG := run(nil)
	k := &Kinks{}
	k.Record()
	run(k)
	k.Replay()
	gotY, gotG := run(k)
	for i := range wantY {
		if gotY[i] != wantY[i] || gotG[i] != wantG[i] {
			t.Fatalf("element %d: replay %v/%v, ReLU %v/%v", i, gotY[i], gotG[i], wantY[i], wantG[i])
		}
	}
}
