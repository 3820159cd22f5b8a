package autograd

import (
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/kernels/purego"
	"github.com/rdarts/rdarts/tensor"
)

func close32(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
}

// TestBatchNormValues checks forward values and the running-statistics
// update against hand-computed numbers.
func TestBatchNormValues(t *testing.T) {
	// One channel, N=2, 1×2 planes: values 1, 3 | 5, 7 → mean 4, biased var 5,
	// unbiased var 20/3.
	x := tensor.From([]float32{1, 3, 5, 7}, 2, 1, 1, 2)
	tp := NewTape(purego.Backend{})
	st := NewBNState(1)
	g := Leaf(tensor.From([]float32{2}, 1), false)
	b := Leaf(tensor.From([]float32{0.5}, 1), false)
	y := tp.BatchNorm(tp.Const(x), g, b, st, true)
	s := 1 / math.Sqrt(5+1e-5)
	want := make([]float32, 4)
	for i, v := range []float64{1, 3, 5, 7} {
		want[i] = float32(2*(v-4)*s + 0.5)
	}
	close32(t, "train forward", y.Value.Data, want, 1e-6)
	close32(t, "running mean", st.Mean, []float32{0.4}, 1e-7)                     // 0.9·0 + 0.1·4
	close32(t, "running var", st.Var, []float32{float32(0.9 + 0.1*20.0/3)}, 1e-6) // 0.9·1 + 0.1·20/3
	// Eval mode uses the running statistics.
	y = tp.BatchNorm(tp.Const(x), g, b, st, false)
	se := 1 / math.Sqrt(float64(st.Var[0])+1e-5)
	for i, v := range []float64{1, 3, 5, 7} {
		want[i] = float32(2*(v-0.4)*se + 0.5)
	}
	close32(t, "eval forward", y.Value.Data, want, 1e-5)
}

func TestSoftmaxCrossEntropyValues(t *testing.T) {
	tp := NewTape(purego.Backend{})
	x := tp.Const(tensor.From([]float32{0, 0, math.Ln2, 1000, 1000, 1000}, 2, 3))
	close32(t, "softmax", tp.Softmax(x).Value.Data, []float32{0.25, 0.25, 0.5, 1. / 3, 1. / 3, 1. / 3}, 1e-7)
	// −log 0.5 and −log(1/3), averaged.
	l := tp.CrossEntropy(x, []int32{2, 0})
	close32(t, "cross-entropy", l.Value.Data, []float32{float32((math.Ln2 + math.Log(3)) / 2)}, 1e-6)
}

func TestPoolConvValues(t *testing.T) {
	x := tensor.From([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3)
	for _, k := range backends {
		tp := NewTape(k)
		// count_include_pad=false: the corner window holds 4 real pixels.
		a := tp.AvgPool(tp.Const(x), 3, 2, 1)
		close32(t, k.Name()+" avg pool", a.Value.Data, []float32{3, 4, 6, 7}, 1e-6) // (1+2+4+5)/4, (2+3+5+6)/4, ...
		m := tp.MaxPool(tp.Const(tensor.From([]float32{-1, -2, -3, -4, -5, -6, -7, -8, -9}, 1, 1, 3, 3)), 3, 2, 1)
		close32(t, k.Name()+" max pool ignores padding", m.Value.Data, []float32{-1, -2, -4, -5}, 0)
		s := tp.Shift(tp.Const(x))
		close32(t, k.Name()+" shift", s.Value.Data, []float32{5, 6, 8, 9}, 0)
		close32(t, k.Name()+" subsample 0", tp.Subsample2(tp.Const(x), 0).Value.Data, []float32{1, 3, 7, 9}, 0)
		close32(t, k.Name()+" subsample 1", tp.Subsample2(tp.Const(x), 1).Value.Data, []float32{5}, 0)
		// Depthwise 3x3 with a centre tap of 2 and padding 1 doubles the image.
		w := tensor.New(1, 1, 3, 3)
		w.Data[4] = 2
		c := tp.Conv2d(tp.Const(x), tp.Const(w), ConvOpts{Pad: [2]int{1, 1}, Groups: 1})
		close32(t, k.Name()+" conv", c.Value.Data, []float32{2, 4, 6, 8, 10, 12, 14, 16, 18}, 0)
	}
}

// BenchmarkBatchNorm reports GFLOPS of a training-mode BN forward+backward
// at the search's most common shape (64×16×32×32), counting 10 flops per
// element (forward statistics and output, backward sums and output).
func BenchmarkBatchNorm(b *testing.B) {
	x := tensor.New(64, 16, 32, 32)
	for i := range x.Data {
		x.Data[i] = float32(i%97) * 0.01
	}
	tp := NewTape(fast.Backend{})
	st := NewBNState(16)
	in := Leaf(x, true)
	seed := make([]float32, x.Len())
	for i := range seed {
		seed[i] = 1e-3 * float32(i%13)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tp.Reset()
		tp.BackwardFrom(tp.BatchNorm(in, nil, nil, st, true), seed)
	}
	b.ReportMetric(10*float64(x.Len())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

// benchOp times forward and backward of f on 64×16×32×32 inputs (paper
// size, first stage), all requiring gradients.
func benchOp(b *testing.B, inputs int, f func(tp *Tape, xs []*Var) *Var) {
	xs := make([]*Var, inputs)
	for k := range xs {
		x := tensor.New(64, 16, 32, 32)
		for i := range x.Data {
			x.Data[i] = float32((i+k)%97)*0.01 - 0.4
		}
		xs[k] = Leaf(x, true)
	}
	tp := NewTape(fast.Backend{})
	tp.Reset()
	seed := make([]float32, f(tp, xs).Value.Len())
	for i := range seed {
		seed[i] = 1e-3 * float32(i%13)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		tp.Reset()
		tp.BackwardFrom(f(tp, xs), seed)
	}
	// CPU time is the steadier figure on a machine shared with other work.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBatchNormReLU is a separable conv's fused BN → ReLU.
func BenchmarkBatchNormReLU(b *testing.B) {
	st := NewBNState(16)
	benchOp(b, 1, func(tp *Tape, xs []*Var) *Var { return tp.BatchNormReLU(xs[0], nil, nil, st, true) })
}

// BenchmarkWeightedSum is an S1 edge: two terms mixed by softmax(α) weights.
func BenchmarkWeightedSum(b *testing.B) {
	w := Leaf(tensor.New(2), true)
	w.Value.Data[0], w.Value.Data[1] = 0.4, 0.6
	benchOp(b, 2, func(tp *Tape, xs []*Var) *Var { return tp.WeightedSum(w, 0, xs) })
}

// BenchmarkConcat is a cell's output: four node states along channels.
func BenchmarkConcat(b *testing.B) {
	benchOp(b, 4, func(tp *Tape, xs []*Var) *Var { return tp.Concat(xs...) })
}
