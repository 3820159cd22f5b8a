package autograd

import (
	"fmt"
	"math"
)

// Linear is x·Wᵀ + b for x N×I, W O×I and b of length O (nil for none).
func (t *Tape) Linear(x, w, b *Var) *Var {
	if len(x.Shape()) != 2 || len(w.Shape()) != 2 || x.Shape()[1] != w.Shape()[1] || (b != nil && b.Value.Len() != w.Shape()[0]) {
		panic(fmt.Sprintf("autograd: Linear: input %v, weight %v do not fit", x.Shape(), w.Shape()))
	}
	n, in, o := x.Shape()[0], x.Shape()[1], w.Shape()[0]
	y := t.out(t.arena.Get(n, o), x, w, b)
	ys := y.Value.Data
	if b != nil {
		for i := 0; i < n; i++ {
			copy(ys[i*o:(i+1)*o], b.Value.Data)
		}
	}
	beta := float32(0)
	if b != nil {
		beta = 1
	}
	t.K.Sgemm(false, true, n, o, in, 1, x.Value.Data, in, w.Value.Data, in, beta, ys, o)
	t.record(y, func() {
		dy := y.Grad.Data
		if x.Requires {
			t.K.Sgemm(false, false, n, in, o, 1, dy, o, w.Value.Data, in, 1, t.grad(x), in)
		}
		if w.Requires {
			t.K.Sgemm(true, false, o, in, n, 1, dy, o, x.Value.Data, in, 1, t.grad(w), in)
		}
		if b != nil && b.Requires {
			db := t.grad(b)
			for i := 0; i < n; i++ {
				for j := 0; j < o; j++ {
					db[j] += dy[i*o+j]
				}
			}
		}
	})
	return y
}

// Softmax normalises each row of a 2-D tensor; the row maximum is subtracted
// first so large logits do not overflow.
func (t *Tape) Softmax(x *Var) *Var {
	if len(x.Shape()) != 2 {
		panic(fmt.Sprintf("autograd: Softmax: want a 2-D tensor, have %v", x.Shape()))
	}
	r, c := x.Shape()[0], x.Shape()[1]
	y := t.out(t.arena.Get(r, c), x)
	for i := 0; i < r; i++ {
		softmaxRow(y.Value.Data[i*c:(i+1)*c], x.Value.Data[i*c:(i+1)*c])
	}
	t.record(y, func() {
		dx := t.grad(x)
		for i := 0; i < r; i++ {
			ys, dys := y.Value.Data[i*c:(i+1)*c], y.Grad.Data[i*c:(i+1)*c]
			var s float64
			for j := range ys {
				s += float64(ys[j]) * float64(dys[j])
			}
			for j := range ys {
				dx[i*c+j] += ys[j] * (dys[j] - float32(s))
			}
		}
	})
	return y
}

func softmaxRow(dst, src []float32) {
	m := src[0]
	for _, v := range src {
		m = max(m, v)
	}
	var s float64
	for j, v := range src {
		e := math.Exp(float64(v - m))
		dst[j] = float32(e)
		s += e
	}
	for j := range dst {
		dst[j] = float32(float64(dst[j]) / s)
	}
}

// CrossEntropy is the mean over the batch of −log softmax(logits)[label].
func (t *Tape) CrossEntropy(logits *Var, labels []int32) *Var {
	if len(logits.Shape()) != 2 || logits.Shape()[0] != len(labels) {
		panic(fmt.Sprintf("autograd: CrossEntropy: logits %v for %d labels", logits.Shape(), len(labels)))
	}
	n, k := logits.Shape()[0], logits.Shape()[1]
	prob := make([]float32, n*k)
	var loss float64
	for i := 0; i < n; i++ {
		l := int(labels[i])
		if l < 0 || l >= k {
			panic(fmt.Sprintf("autograd: CrossEntropy: label %d outside [0,%d)", l, k))
		}
		row := logits.Value.Data[i*k : (i+1)*k]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v - m))
		}
		lse := float64(m) + math.Log(s)
		loss += lse - float64(row[l])
		for j, v := range row {
			prob[i*k+j] = float32(math.Exp(float64(v) - lse))
		}
	}
	y := t.out(t.arena.Get(1), logits)
	y.Value.Data[0] = float32(loss / float64(n))
	t.record(y, func() {
		dx, g := t.grad(logits), y.Grad.Data[0]/float32(n)
		for i := 0; i < n; i++ {
			for j := 0; j < k; j++ {
				p := prob[i*k+j]
				if j == int(labels[i]) {
					p--
				}
				dx[i*k+j] += g * p
			}
		}
	})
	return y
}

// Sum adds scalars with weights: Σ c_i·x_i, e.g. loss + 0.4·aux loss.
func (t *Tape) Sum(xs []*Var, cs []float32) *Var {
	y := t.out(t.arena.Get(1), xs...)
	var s float32
	for i, x := range xs {
		s += cs[i] * x.Value.Data[0]
	}
	y.Value.Data[0] = s
	t.record(y, func() {
		for i, x := range xs {
			if x.Requires {
				t.grad(x)[0] += cs[i] * y.Grad.Data[0]
			}
		}
	})
	return y
}
