package optim

import (
	"fmt"
	"math"
)

// Adam is PyTorch's torch.optim.Adam (amsgrad off) with weight decay added to
// the gradient (L2, not decoupled) — the α optimiser of the search (docs/method.md,
// Optimisers and schedule: LR 3e-4, Beta1 0.5, Beta2 0.999, Eps 1e-8, WeightDecay 1e-3). For step
// t = 1, 2, … and each element:
//
//	g = g + WeightDecay·p
//	m = Beta1·m + (1−Beta1)·g
//	v = Beta2·v + (1−Beta2)·g²
//	p = p − LR/(1−Beta1^t) · m / (sqrt(v)/sqrt(1−Beta2^t) + Eps)
//
// This is the bias-correction form of PyTorch ≥ 1.x; PyTorch 0.3.1 added Eps
// to sqrt(v) before the correction, which differs only when v is tiny.
// The fields are read on every Step and may change between steps.
type Adam struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64

	step int         // number of steps taken (t of the last step)
	m, v [][]float32 // first and second moments, per param; nil before the first step
}

// AdamState is the checkpointable state of an Adam: hyperparameters, the
// step counter and copies of both moment estimates.
type AdamState struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Step                               int
	M, V                               [][]float32
}

// Step updates every params[i].Value in place from params[i].Grad.
// It panics if a Value and Grad differ in length, or if the parameters do not
// match (in number and sizes) those of earlier steps.
func (a *Adam) Step(params []Param) {
	checkShapes("Adam.Step", params, a.m)
	if a.m == nil {
		a.m = make([][]float32, len(params))
		a.v = make([][]float32, len(params))
		for i, p := range params {
			a.m[i] = make([]float32, len(p.Value))
			a.v[i] = make([]float32, len(p.Value))
		}
	}
	a.step++
	t := float64(a.step)
	// Bias corrections and step size are Python floats in PyTorch: float64
	// arithmetic, rounded to float32 when they enter the kernels.
	bc1 := 1 - math.Pow(a.Beta1, t)
	bc2 := 1 - math.Pow(a.Beta2, t)
	negStep := float32(-a.LR / bc1)
	bc2Sqrt := float32(math.Sqrt(bc2))
	b1, omb1 := float32(a.Beta1), float32(1-a.Beta1)
	b2, omb2 := float32(a.Beta2), float32(1-a.Beta2)
	eps, wd := float32(a.Eps), float32(a.WeightDecay)
	for i, p := range params {
		m, v := a.m[i], a.v[i]
		for j, g := range p.Grad {
			if wd != 0 {
				g += float32(wd * p.Value[j]) // grad.add(p, alpha=wd)
			}
			m[j] = float32(b1*m[j]) + float32(omb1*g)            // exp_avg.mul_(b1).add_(g, alpha=1-b1)
			v[j] = float32(b2*v[j]) + float32(float32(omb2*g)*g) // exp_avg_sq.mul_(b2).addcmul_(g, g, value=1-b2)
			// sqrt of a float32 via float64 is correctly rounded (no double-rounding error).
			den := float32(float32(math.Sqrt(float64(v[j])))/bc2Sqrt) + eps
			p.Value[j] += float32(negStep*m[j]) / den // p.addcdiv_(m, den, value=-step_size)
		}
	}
}

// Steps returns the number of steps taken so far.
func (a *Adam) Steps() int { return a.step }

// State returns a deep copy of the optimiser state.
func (a *Adam) State() AdamState {
	return AdamState{
		LR: a.LR, Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, WeightDecay: a.WeightDecay,
		Step: a.step, M: clone2(a.m), V: clone2(a.v),
	}
}

// SetState replaces the optimiser state with a deep copy of st, so that the
// following steps are bit-identical to those of the optimiser st was taken
// from. It panics if st is malformed (M and V of different shapes, nil
// entries, a negative step or moments without steps).
func (a *Adam) SetState(st AdamState) {
	if st.Step < 0 || len(st.M) != len(st.V) || (st.Step == 0) != (st.M == nil) {
		panic(fmt.Sprintf("optim: Adam.SetState: step %d with %d/%d moment slices", st.Step, len(st.M), len(st.V)))
	}
	for i := range st.M {
		if st.M[i] == nil || st.V[i] == nil || len(st.M[i]) != len(st.V[i]) {
			panic(fmt.Sprintf("optim: Adam.SetState: moment %d is nil or M and V differ in length", i))
		}
	}
	a.LR, a.Beta1, a.Beta2, a.Eps, a.WeightDecay = st.LR, st.Beta1, st.Beta2, st.Eps, st.WeightDecay
	a.step = st.Step
	a.m, a.v = clone2(st.M), clone2(st.V)
}
