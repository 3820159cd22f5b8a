package optim

import "fmt"

// SGD is PyTorch's torch.optim.SGD with momentum, coupled (L2) weight decay,
// dampening 0 and Nesterov off — the w optimiser of the search (docs/method.md,
// Optimisers and schedule).
// For each element, with g the gradient and p the value:
//
//	d   = g + WeightDecay·p          (skipped when WeightDecay == 0)
//	buf = d                          on the first step,
//	buf = Momentum·buf + d           afterwards (no buffer when Momentum == 0)
//	p   = p − LR·buf                 (p − LR·d without momentum)
//
// The zero value is plain gradient descent with LR 0; set the fields before
// the first Step. They are read on every Step and may change between steps.
type SGD struct {
	LR, Momentum, WeightDecay float64

	buf [][]float32 // per-param momentum buffer; nil until the first step with momentum
}

// SGDState is the checkpointable state of an SGD: its hyperparameters and a
// copy of the momentum buffers (nil before the first step with momentum).
type SGDState struct {
	LR, Momentum, WeightDecay float64
	Buffers                   [][]float32
}

// Step updates every params[i].Value in place from params[i].Grad.
// It panics if a Value and Grad differ in length, or if the parameters do not
// match (in number and sizes) those of earlier steps.
func (s *SGD) Step(params []Param) {
	checkShapes("SGD.Step", params, s.buf)
	// Scalars cross into float32 once, as a Python float does in a kernel call.
	lr, mom, wd := float32(s.LR), float32(s.Momentum), float32(s.WeightDecay)
	if mom != 0 && s.buf == nil {
		s.buf = make([][]float32, len(params))
	}
	for i, p := range params {
		var b []float32
		first := false
		if mom != 0 {
			if s.buf[i] == nil {
				s.buf[i] = make([]float32, len(p.Value))
				first = true
			}
			b = s.buf[i]
		}
		for j, g := range p.Grad {
			d := g
			if wd != 0 {
				d = g + float32(wd*p.Value[j]) // d_p.add(p, alpha=wd)
			}
			if mom != 0 {
				if first {
					b[j] = d // buf = clone(d_p)
				} else {
					b[j] = float32(mom*b[j]) + d // buf.mul_(m).add_(d_p)
				}
				d = b[j]
			}
			p.Value[j] -= float32(lr * d) // p.add_(buf, alpha=-lr)
		}
	}
}

// MomentumBuffer returns the momentum buffer of the i-th parameter, or nil
// before the first step with momentum. The second-order DARTS step reads it
// to form w' = w − η(m·buf + g + λw), with buf = 0 when nil. The slice is the
// optimiser's own: read it, do not modify it; it changes on the next Step.
func (s *SGD) MomentumBuffer(i int) []float32 {
	if i < 0 || i >= len(s.buf) {
		return nil
	}
	return s.buf[i]
}

// State returns a deep copy of the optimiser state.
func (s *SGD) State() SGDState {
	return SGDState{LR: s.LR, Momentum: s.Momentum, WeightDecay: s.WeightDecay, Buffers: clone2(s.buf)}
}

// SetState replaces the optimiser state with a deep copy of st, so that the
// following steps are bit-identical to those of the optimiser st was taken
// from. It panics if st.Buffers mixes nil and non-nil entries.
func (s *SGD) SetState(st SGDState) {
	checkAllOrNone("SGD.SetState", st.Buffers)
	s.LR, s.Momentum, s.WeightDecay = st.LR, st.Momentum, st.WeightDecay
	s.buf = clone2(st.Buffers)
}

// checkAllOrNone panics if some entries of bufs are nil and others are not:
// all parameters step together, so a partial state can only be corrupt.
func checkAllOrNone(op string, bufs [][]float32) {
	for i := range bufs {
		if (bufs[i] == nil) != (bufs[0] == nil) {
			panic(fmt.Sprintf("optim: %s: buffer %d is nil but buffer 0 is not, or the reverse", op, i))
		}
	}
}
