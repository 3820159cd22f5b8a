package optim

import "math"

// ClipGradNorm is PyTorch's clip_grad_norm(params, maxNorm) with the L2
// norm: it returns the total norm of all gradients taken together (before
// clipping) and, when the clip coefficient maxNorm/(total+1e-6) is below 1,
// multiplies every gradient by it in place.
//
// The condition is PyTorch's coef < 1, i.e. total > maxNorm − 1e-6, so a
// total exactly equal to maxNorm is still scaled (by 1 − 1e-6/maxNorm).
// The sum of squares is accumulated in float64 over params and elements in
// order (PyTorch sums float32 per-tensor norms), so the total is
// deterministic and at least as accurate. A NaN or Inf total leaves the
// gradients unscaled, as PyTorch 0.3.1 does.
func ClipGradNorm(params []Param, maxNorm float64) (total float64) {
	var sum float64
	for _, p := range params {
		for _, g := range p.Grad {
			sum += float64(g) * float64(g) // exact product: 24+24 bits fit in 53
		}
	}
	total = math.Sqrt(sum)
	coef := maxNorm / (total + 1e-6)
	if coef < 1 {
		c := float32(coef) // grad.mul_(clip_coef): the Python float enters as float32
		for _, p := range params {
			for j := range p.Grad {
				p.Grad[j] *= c
			}
		}
	}
	return total
}
