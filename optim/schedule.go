package optim

import "math"

// Cosine is PyTorch's CosineAnnealingLR in closed form, as the search sets it
// per epoch with scheduler.step(epoch) (docs/method.md, Optimisers and
// schedule):
//
//	lr(epoch) = lrMin + (lrMax − lrMin)·(1 + cos(π·epoch/epochs))/2
//
// so epoch 0 trains with lrMax and epoch epochs with lrMin. With 50 epochs,
// 0.025 and 0.001 it gives 0.025, 0.02497632, … , 0.00102368 at epoch 49.
// Callers replaying DARTS's "step() before each epoch" (0.3.1 semantics, the
// evaluation phase) pass epoch+1. It panics if epochs ≤ 0.
func Cosine(epoch, epochs int, lrMax, lrMin float64) float64 {
	if epochs <= 0 {
		panic("optim: Cosine: epochs must be positive")
	}
	return lrMin + (lrMax-lrMin)*(1+math.Cos(math.Pi*float64(epoch)/float64(epochs)))/2
}
