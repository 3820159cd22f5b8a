package optim

import "fmt"

// Param is one parameter tensor, flattened: Value is updated in place by an
// optimiser, Grad is read (and scaled in place by ClipGradNorm).
type Param struct {
	Value, Grad []float32
}

// checkShapes panics unless every Param has len(Value) == len(Grad) and, when
// state is non-nil, the sizes match the state slices created on earlier steps.
func checkShapes(op string, params []Param, state [][]float32) {
	for i, p := range params {
		if len(p.Value) != len(p.Grad) {
			panic(fmt.Sprintf("optim: %s: param %d: len(Value) %d != len(Grad) %d", op, i, len(p.Value), len(p.Grad)))
		}
	}
	if state == nil {
		return
	}
	if len(state) != len(params) {
		panic(fmt.Sprintf("optim: %s: %d params, state holds %d", op, len(params), len(state)))
	}
	for i, p := range params {
		if state[i] != nil && len(state[i]) != len(p.Value) {
			panic(fmt.Sprintf("optim: %s: param %d has %d values, state has %d", op, i, len(p.Value), len(state[i])))
		}
	}
}

// clone2 deep-copies a slice of slices, keeping nil entries nil.
func clone2(src [][]float32) [][]float32 {
	if src == nil {
		return nil
	}
	dst := make([][]float32, len(src))
	for i, s := range src {
		if s != nil {
			dst[i] = append([]float32(nil), s...)
		}
	}
	return dst
}
