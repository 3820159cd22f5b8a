package optim

// ASGD is PyTorch's torch.optim.ASGD as the DARTS language-model training
// uses it (lambd = 0, t0 = 0, coupled weight decay): plain SGD steps on the
// parameters plus a running average Avg of their values, which the
// evaluation uses. For step k = 1, 2, … and each element:
//
//	g   = g + WeightDecay·p
//	p   = p − η_k·g
//	avg = p                       while μ = 1 (steps 1 and 2)
//	avg = avg + μ·(p − avg)       afterwards, μ = 1/(k−1)
//
// so from step 2 on Avg is the mean of the values after steps 2 … k. The step
// size η_k is the LR of the previous step (the LR of the first for k = 1):
// PyTorch stores η after each step from the group's learning rate, so a
// learning rate changed just before a step takes effect one step late, and
// rdarts keeps that.
type ASGD struct {
	LR, WeightDecay float64

	step int
	eta  float64
	avg  [][]float32
}

// ASGDState is the checkpointable state of an ASGD.
type ASGDState struct {
	LR, WeightDecay float64
	Step            int
	Eta             float64
	Avg             [][]float32
}

// Step updates every params[i].Value in place from params[i].Grad, and the
// averages. It panics like SGD.Step on mismatched parameters.
func (a *ASGD) Step(params []Param) {
	checkShapes("ASGD.Step", params, a.avg)
	if a.avg == nil {
		a.avg = make([][]float32, len(params))
		for i, p := range params {
			a.avg[i] = make([]float32, len(p.Value))
		}
		a.eta = a.LR
	}
	mu := 1.0
	if a.step >= 2 {
		mu = 1 / float64(a.step) // 1/max(1, step−t0) of the previous step
	}
	a.step++
	eta, wd, m := float32(a.eta), float32(a.WeightDecay), float32(mu)
	for i, p := range params {
		avg := a.avg[i]
		for j, g := range p.Grad {
			if wd != 0 {
				g += float32(wd * p.Value[j])
			}
			p.Value[j] -= float32(eta * g)
			if mu == 1 {
				avg[j] = p.Value[j]
			} else {
				avg[j] += float32(m * (p.Value[j] - avg[j]))
			}
		}
	}
	a.eta = a.LR // lambd = 0: η = lr/(1+0)^α
}

// Average returns the running average of the i-th parameter (nil before the
// first step). The slice is the optimiser's own: read it, do not modify it.
func (a *ASGD) Average(i int) []float32 {
	if i < 0 || i >= len(a.avg) {
		return nil
	}
	return a.avg[i]
}

// State returns a deep copy of the optimiser state.
func (a *ASGD) State() ASGDState {
	return ASGDState{LR: a.LR, WeightDecay: a.WeightDecay, Step: a.step, Eta: a.eta, Avg: clone2(a.avg)}
}

// SetState replaces the optimiser state with a deep copy of st.
func (a *ASGD) SetState(st ASGDState) {
	checkAllOrNone("ASGD.SetState", st.Avg)
	a.LR, a.WeightDecay, a.step, a.eta = st.LR, st.WeightDecay, st.Step, st.Eta
	a.avg = clone2(st.Avg)
}
