package autograd

import (
	"fmt"
	"math"

	"github.com/rdarts/rdarts/internal/parallel"
)

// This file holds the ops of the recurrent (language-model) search space:
// embedding lookup, the element-wise activations and products of a
// recurrent cell, dropout masks shared over time, the fused highway node,
// and the reshaping that lets one GEMM serve every time step.

// Embedding looks up rows of w (V×D) for the ids: the result is len(ids)×D,
// row n = rowScale[ids[n]]·w[ids[n]]. rowScale (length V, nil for all ones)
// is the embedding row dropout of the reference's embedded_dropout: 0 for
// a dropped word, 1/(1−p) for a kept one, drawn by the caller.
//
// The gradient is sparse: backward adds into the looked-up rows of w's
// gradient only, O(len(ids)·D) work whatever V is. An id outside [0, V)
// panics (the corpus reader guarantees ids below its vocabulary size).
func (t *Tape) Embedding(w *Var, ids []int32, rowScale []float32) *Var {
	if len(w.Shape()) != 2 || (rowScale != nil && len(rowScale) != w.Shape()[0]) {
		panic(fmt.Sprintf("autograd: Embedding: weight %v with %d row scales", w.Shape(), len(rowScale)))
	}
	v, d := w.Shape()[0], w.Shape()[1]
	for _, id := range ids {
		if id < 0 || int(id) >= v {
			panic(fmt.Sprintf("autograd: Embedding: id %d outside [0,%d)", id, v))
		}
	}
	scale := func(id int32) float32 {
		if rowScale == nil {
			return 1
		}
		return rowScale[id]
	}
	y := t.out(t.arena.Get(len(ids), d), w)
	ws, ys := w.Value.Data, y.Value.Data
	for n, id := range ids {
		src, dst, s := ws[int(id)*d:int(id+1)*d], ys[n*d:(n+1)*d], scale(id)
		for j := range dst {
			dst[j] = s * src[j]
		}
	}
	t.record(y, func() {
		dw, dy := t.grad(w), y.Grad.Data
		// Sequential: two ids may share a row.
		for n, id := range ids {
			dst, src, s := dw[int(id)*d:int(id+1)*d], dy[n*d:(n+1)*d], scale(id)
			for j := range dst {
				dst[j] += s * src[j]
			}
		}
	})
	return y
}

// unary is an element-wise op y = f(x) whose derivative is written in
// terms of y: dx += dy·g(y).
func (t *Tape) unary(x *Var, f func(float32) float32, g func(y float32) float32) *Var {
	y := t.out(t.arena.Get(x.Shape()...), x)
	xs, ys := x.Value.Data, y.Value.Data
	parallel.For(len(xs), grain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			ys[i] = f(xs[i])
		}
	})
	t.record(y, func() {
		dx, fresh := t.gradBuf(x)
		dy := y.Grad.Data
		parallel.For(len(xs), grain, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				d := dy[i] * g(ys[i])
				if fresh {
					dx[i] = d
				} else {
					dx[i] += d
				}
			}
		})
	})
	return y
}

// The cell's transcendental functions, in float32 (expf.go).
func tanh32(x float32) float32    { return tanhf(x) }
func sigmoid32(x float32) float32 { return sigmoidf(x) }

// Tanh is the hyperbolic tangent, element-wise.
func (t *Tape) Tanh(x *Var) *Var {
	return t.unary(x, tanh32, func(y float32) float32 { return 1 - y*y })
}

// Sigmoid is 1/(1+exp(−x)), element-wise.
func (t *Tape) Sigmoid(x *Var) *Var {
	return t.unary(x, sigmoid32, func(y float32) float32 { return y * (1 - y) })
}

// Mul is the element-wise product a ⊙ b.
func (t *Tape) Mul(a, b *Var) *Var {
	mustSame("Mul", a, b)
	y := t.out(t.arena.Get(a.Shape()...), a, b)
	as, bs, ys := a.Value.Data, b.Value.Data, y.Value.Data
	parallel.For(len(ys), grain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			ys[i] = as[i] * bs[i]
		}
	})
	t.record(y, func() {
		dy := y.Grad.Data
		// By index, not by buffer: with a == b both terms reach one gradient.
		for k, x := range []*Var{a, b} {
			if !x.Requires {
				continue
			}
			other := [2][]float32{bs, as}[k]
			dx := t.grad(x)
			parallel.For(len(dy), grain, func(_, lo, hi int) {
				for i := lo; i < hi; i++ {
					dx[i] += dy[i] * other[i]
				}
			})
		}
	})
	return y
}

// Sub is a − b.
func (t *Tape) Sub(a, b *Var) *Var {
	mustSame("Sub", a, b)
	y := t.out(t.arena.Get(a.Shape()...), a, b)
	as, bs, ys := a.Value.Data, b.Value.Data, y.Value.Data
	parallel.For(len(ys), grain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			ys[i] = as[i] - bs[i]
		}
	})
	t.record(y, func() {
		if a.Requires {
			t.accum(a, 1, y.Grad.Data)
		}
		if b.Requires {
			t.accum(b, -1, y.Grad.Data)
		}
	})
	return y
}

// MulMask multiplies x by a constant mask repeated over its leading
// dimension: element i of x is scaled by mask[i mod len(mask)]. With x of
// shape T×B×D (or T·B×D) and a B×D mask this is variational ("locked")
// dropout, one mask for every time step; with x of shape B×D it is the
// per-step input and hidden dropout of the recurrent cell, whose masks the
// caller draws once per sequence. No gradient flows to the mask.
func (t *Tape) MulMask(x *Var, mask []float32) *Var {
	m := len(mask)
	if m == 0 || x.Value.Len()%m != 0 {
		panic(fmt.Sprintf("autograd: MulMask: a mask of %d does not tile shape %v", m, x.Shape()))
	}
	y := t.out(t.arena.Get(x.Shape()...), x)
	xs, ys := x.Value.Data, y.Value.Data
	for off := 0; off < len(xs); off += m {
		for i, v := range mask {
			ys[off+i] = xs[off+i] * v
		}
	}
	t.record(y, func() {
		dx, fresh := t.gradBuf(x)
		dy := y.Grad.Data
		for off := 0; off < len(dy); off += m {
			d, g := dx[off:off+m], dy[off:off+m]
			if fresh {
				for i, v := range mask {
					d[i] = g[i] * v
				}
			} else {
				for i, v := range mask {
					d[i] += g[i] * v
				}
			}
		}
	})
	return y
}

// Act is an activation of the recurrent cell.
type Act uint8

// The activations of the recurrent DARTS space (its none op is no
// activation: it contributes nothing and has no Act).
const (
	ActTanh Act = iota
	ActReLU
	ActSigmoid
	ActIdentity
)

// String names the activation as the DARTS genotypes do.
func (a Act) String() string {
	switch a {
	case ActTanh:
		return "tanh"
	case ActReLU:
		return "relu"
	case ActSigmoid:
		return "sigmoid"
	case ActIdentity:
		return "identity"
	}
	return fmt.Sprintf("Act(%d)", uint8(a))
}

// Highway is the recurrent DARTS node, mixed over activations:
//
//	y = Σ_k w[off+k]·(s + c ⊙ (f_k(u) − s)),  c = σ(ch[:, :D]), u = ch[:, D:]
//
// for s of shape B×D and ch = (masked s)·W of shape B×2D, i.e. each term is
// the highway form c ⊙ f_k(u) + (1−c) ⊙ s. A discrete node is one act with
// weight 1 (a constant w); the one-shot model's edge passes softmax(α)'s
// row and the non-none activations. It is one op for speed (four passes
// over memory instead of about 6·len(acts)); TestHighwayComposed checks it
// against the composition of Sigmoid, Sub, Mul and WeightedSum. With Kinks
// set, the active set of its ReLU term is recorded or replayed as the ReLU
// op's is.
func (t *Tape) Highway(w *Var, off int, acts []Act, s, ch *Var) *Var {
	if len(s.Shape()) != 2 || len(ch.Shape()) != 2 || ch.Shape()[0] != s.Shape()[0] || ch.Shape()[1] != 2*s.Shape()[1] ||
		len(acts) == 0 || off < 0 || off+len(acts) > w.Value.Len() {
		panic(fmt.Sprintf("autograd: Highway: state %v, gates %v, %d acts at offset %d of %d weights", s.Shape(), ch.Shape(), len(acts), off, w.Value.Len()))
	}
	// wa[a] is activation a's weight (0 if absent), pos[a] its index in acts.
	var wa [4]float32
	pos := [4]int{-1, -1, -1, -1}
	for k, a := range acts {
		if a > ActIdentity || pos[a] >= 0 {
			panic(fmt.Sprintf("autograd: Highway: activations %v (unknown or repeated)", acts))
		}
		pos[a], wa[a] = k, w.Value.Data[off+k]
	}
	hasT, hasR, hasS, hasI := pos[ActTanh] >= 0, pos[ActReLU] >= 0, pos[ActSigmoid] >= 0, pos[ActIdentity] >= 0
	b, d := s.Shape()[0], s.Shape()[1]
	var wsum float32
	for _, k := range pos {
		if k >= 0 {
			wsum += w.Value.Data[off+k]
		}
	}
	y := t.out(t.arena.Get(b, d), w, s, ch)
	ss, cs, ys := s.Value.Data, ch.Value.Data, y.Value.Data
	rows := func(body func(r int)) {
		parallel.For(b, max(1, grain/(2*d)), func(_, lo, hi int) {
			for r := lo; r < hi; r++ {
				body(r)
			}
		})
	}
	// reluOn reports whether ReLU is active at element i; with Kinks set,
	// its active set is recorded or replayed like the ReLU op's.
	reluOn := func(_ int, u float32) bool { return u > 0 }
	if t.Kinks != nil && hasR {
		us := make([]float32, b*d)
		for r := 0; r < b; r++ {
			copy(us[r*d:(r+1)*d], cs[r*2*d+d:(r+1)*2*d])
		}
		mask := t.Kinks.reluMask(us)
		reluOn = func(i int, _ float32) bool { return mask[i/64]>>(i%64)&1 == 1 }
	}
	// eval returns f_k(u) for each activation (0 where absent), Σ w_k f_k
	// and Σ w_k f_k'.
	eval := func(i int, u float32) (fs [4]float32, f, fp float32) {
		var th, sg float32
		switch {
		case hasT && hasS:
			sg, th = sigmoidTanhf(u) // one exponential for both
		case hasT:
			th = tanh32(u)
		case hasS:
			sg = sigmoid32(u)
		}
		if hasT {
			fs[ActTanh] = th
			f += wa[ActTanh] * th
			fp += wa[ActTanh] * (1 - th*th)
		}
		if hasR && reluOn(i, u) {
			fs[ActReLU] = u
			f += wa[ActReLU] * u
			fp += wa[ActReLU]
		}
		if hasS {
			fs[ActSigmoid] = sg
			f += wa[ActSigmoid] * sg
			fp += wa[ActSigmoid] * sg * (1 - sg)
		}
		if hasI {
			fs[ActIdentity] = u
			f += wa[ActIdentity] * u
			fp += wa[ActIdentity]
		}
		return fs, f, fp
	}
	rows(func(r int) {
		for j := 0; j < d; j++ {
			c, u := sigmoid32(cs[r*2*d+j]), cs[r*2*d+d+j]
			_, f, _ := eval(r*d+j, u)
			sv := ss[r*d+j]
			ys[r*d+j] = wsum*sv + c*(f-wsum*sv)
		}
	})
	t.record(y, func() {
		dy := y.Grad.Data
		var ds, dch []float32
		if s.Requires {
			ds = t.grad(s)
		}
		if ch.Requires {
			dch = t.grad(ch)
		}
		// Per-row partial sums for ∂w_a = Σ dy ⊙ ((1−c)·s + c·f_a(u)):
		// [a] holds Σ dy·c·f_a, [4] Σ dy·(1−c)·s.
		var dwRow [][5]float64
		if w.Requires {
			dwRow = make([][5]float64, b)
		}
		rows(func(r int) {
			var acc [5]float64
			for j := 0; j < d; j++ {
				g := dy[r*d+j]
				c, u, sv := sigmoid32(cs[r*2*d+j]), cs[r*2*d+d+j], ss[r*d+j]
				fs, f, fp := eval(r*d+j, u)
				if dwRow != nil {
					gc := float64(g * c)
					for a := range fs {
						acc[a] += gc * float64(fs[a])
					}
					acc[4] += float64(g * (1 - c) * sv)
				}
				if ds != nil {
					ds[r*d+j] += g * wsum * (1 - c)
				}
				if dch != nil {
					dch[r*2*d+j] += g * (f - wsum*sv) * c * (1 - c)
					dch[r*2*d+d+j] += g * c * fp
				}
			}
			if dwRow != nil {
				dwRow[r] = acc
			}
		})
		if dwRow != nil {
			dw := t.grad(w)
			for a, k := range pos {
				if k < 0 {
					continue
				}
				var sum float64
				for r := 0; r < b; r++ {
					sum += dwRow[r][a] + dwRow[r][4]
				}
				dw[off+k] += float32(sum)
			}
		}
	})
	return y
}

// ConcatCols joins 2-D tensors of equal row counts side by side:
// [a | b | …], e.g. [x_t | h_{t−1}] before the cell's first GEMM.
func (t *Tape) ConcatCols(xs ...*Var) *Var {
	n, cols := xs[0].Shape()[0], 0
	for _, x := range xs {
		if len(x.Shape()) != 2 || x.Shape()[0] != n {
			panic(fmt.Sprintf("autograd: ConcatCols: shape %v does not fit %v", x.Shape(), xs[0].Shape()))
		}
		cols += x.Shape()[1]
	}
	y := t.out(t.arena.Get(n, cols), xs...)
	each := func(f func(x *Var, r, xo, yo, w int)) {
		off := 0
		for _, x := range xs {
			w := x.Shape()[1]
			for r := 0; r < n; r++ {
				f(x, r, r*w, r*cols+off, w)
			}
			off += w
		}
	}
	each(func(x *Var, _, xo, yo, w int) { copy(y.Value.Data[yo:yo+w], x.Value.Data[xo:xo+w]) })
	t.record(y, func() {
		each(func(x *Var, _, xo, yo, w int) {
			if !x.Requires {
				return
			}
			dx, dy := t.grad(x)[xo:xo+w], y.Grad.Data[yo:yo+w]
			for j := range dx {
				dx[j] += dy[j]
			}
		})
	})
	return y
}

// StackRows stacks tensors of one shape S along a new leading dimension:
// len(xs)×S, e.g. the hidden states of every time step before the decoder.
func (t *Tape) StackRows(xs ...*Var) *Var {
	for _, x := range xs[1:] {
		mustSame("StackRows", xs[0], x)
	}
	m := xs[0].Value.Len()
	y := t.out(t.arena.Get(append([]int{len(xs)}, xs[0].Shape()...)...), xs...)
	for i, x := range xs {
		copy(y.Value.Data[i*m:(i+1)*m], x.Value.Data)
	}
	t.record(y, func() {
		for i, x := range xs {
			if x.Requires {
				t.accum(x, 1, y.Grad.Data[i*m:(i+1)*m])
			}
		}
	})
	return y
}

// Rows is rows lo … hi−1 of x along its leading dimension (a copy).
func (t *Tape) Rows(x *Var, lo, hi int) *Var {
	if len(x.Shape()) == 0 || lo < 0 || hi > x.Shape()[0] || lo >= hi {
		panic(fmt.Sprintf("autograd: Rows(%d, %d) of shape %v", lo, hi, x.Shape()))
	}
	m := x.Value.Len() / x.Shape()[0]
	shape := append([]int{hi - lo}, x.Shape()[1:]...)
	y := t.out(t.arena.Get(shape...), x)
	copy(y.Value.Data, x.Value.Data[lo*m:hi*m])
	t.record(y, func() {
		dx, dy := t.grad(x)[lo*m:hi*m], y.Grad.Data
		for j := range dy {
			dx[j] += dy[j]
		}
	})
	return y
}

// Reshape is x with another shape of the same size (a copy).
func (t *Tape) Reshape(x *Var, shape ...int) *Var {
	y := t.out(t.arena.Get(shape...), x)
	if y.Value.Len() != x.Value.Len() {
		panic(fmt.Sprintf("autograd: Reshape: %v to %v", x.Shape(), shape))
	}
	copy(y.Value.Data, x.Value.Data)
	t.record(y, func() { t.accum(x, 1, y.Grad.Data) })
	return y
}

// Mean is the mean of all elements, a scalar.
func (t *Tape) Mean(x *Var) *Var {
	y := t.out(t.arena.Get(1), x)
	n := x.Value.Len()
	var sum float64
	for _, v := range x.Value.Data {
		sum += float64(v)
	}
	y.Value.Data[0] = float32(sum / float64(n))
	t.record(y, func() {
		g := y.Grad.Data[0] / float32(n)
		dx := t.grad(x)
		for i := range dx {
			dx[i] += g
		}
	})
	return y
}

// VocabNLL is CrossEntropy for wide rows: the mean over the rows of
// −log softmax(logits)[label], for a language model's N×V logits over a
// vocabulary. It computes the same function as CrossEntropy (TestVocabNLL
// compares them) but keeps only each row's log-sum-exp between the passes
// instead of an N×V probability table, takes exponentials in float32
// (expf) and splits the rows across cores: at V = 10 000 the loss was a
// third of a search step. A label outside [0, V) panics.
func (t *Tape) VocabNLL(logits *Var, labels []int32) *Var {
	if len(logits.Shape()) != 2 || logits.Shape()[0] != len(labels) {
		panic(fmt.Sprintf("autograd: VocabNLL: logits %v for %d labels", logits.Shape(), len(labels)))
	}
	n, k := logits.Shape()[0], logits.Shape()[1]
	for _, l := range labels {
		if l < 0 || int(l) >= k {
			panic(fmt.Sprintf("autograd: VocabNLL: label %d outside [0,%d)", l, k))
		}
	}
	xs := logits.Value.Data
	lse := make([]float32, n)
	rowLoss := make([]float64, n)
	rowGrain := max(1, grain/k)
	parallel.For(n, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := xs[i*k : (i+1)*k]
			m := row[0]
			for _, v := range row {
				m = max(m, v)
			}
			var s float64
			for _, v := range row {
				s += float64(expf(v - m))
			}
			l := float64(m) + math.Log(s)
			lse[i] = float32(l)
			rowLoss[i] = l - float64(row[labels[i]])
		}
	})
	var loss float64
	for _, l := range rowLoss {
		loss += l
	}
	y := t.out(t.arena.Get(1), logits)
	y.Value.Data[0] = float32(loss / float64(n))
	t.record(y, func() {
		dx, fresh := t.gradBuf(logits)
		g := y.Grad.Data[0] / float32(n)
		parallel.For(n, rowGrain, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				row, d := xs[i*k:(i+1)*k], dx[i*k:(i+1)*k]
				for j, v := range row {
					p := g * expf(v-lse[i])
					if fresh {
						d[j] = p
					} else {
						d[j] += p
					}
				}
				d[labels[i]] -= g
			}
		})
	})
	return y
}
