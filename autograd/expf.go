package autograd

import "math"

// expf is e^x in float32 arithmetic (Cephes' expf: x = n·ln2 + r with
// |r| ≤ ln2/2, a degree-7 polynomial for e^r, then scaling by 2^n). Its
// error is within 2 ulp of the correctly rounded result; it is several times
// faster than math.Exp through float64, which matters in the recurrent
// cell, where every element of every edge needs two or three of them.
func expf(x float32) float32 {
	switch {
	case x != x: // NaN
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654: // below the smallest normal: 0 is close enough here
		return 0
	}
	const (
		log2e = 1.44269504088896341
		c1    = 0.693359375
		c2    = -2.12194440e-4
	)
	// n: log2(e)·x rounded to a nearest integer (either neighbour of a half
	// will do: r stays within ln2/2 plus rounding).
	t := log2e * x
	if t < 0 {
		t -= 0.5
	} else {
		t += 0.5
	}
	n := float32(int32(t))
	r := x - n*c1 - n*c2
	p := ((((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r+5.0000001201e-1)*r*r + r) + 1
	if n > 127 { // 2^128 is not a float32; p < 1 brings the product back
		return p * 2 * math.Float32frombits(uint32(127+127)<<23)
	}
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// sigmoidf is 1/(1+e^{−x}) in float32.
func sigmoidf(x float32) float32 { return 1 / (1 + expf(-x)) }

// tanhf is tanh(x) in float32 (Cephes' tanhf): an odd polynomial for
// |x| < 0.625, 1 − 2/(e^{2|x|}+1) beyond, with the sign restored.
func tanhf(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	if a < 0.625 {
		z := x * x
		return ((((-5.70498872745e-3*z+2.06390887954e-2)*z-5.37397155531e-2)*z+1.33314422036e-1)*z-3.33332819422e-1)*z*x + x
	}
	if a > 9.01 { // tanh is 1 in float32
		if x < 0 {
			return -1
		}
		return 1
	}
	y := 1 - 2/(expf(2*a)+1)
	if x < 0 {
		return -y
	}
	return y
}

// sigmoidTanhf returns σ(x) and tanh(x) from a single exponential,
// q = e^{−|x|}: σ(|x|) = 1/(1+q), tanh(|x|) = (1−q²)/(1+q²), signs and
// σ(−x) = 1 − σ(x) restored; tanh of small |x| takes tanhf's polynomial,
// which needs no exponential, to avoid cancellation.
func sigmoidTanhf(x float32) (sig, th float32) {
	a := x
	if a < 0 {
		a = -a
	}
	q := expf(-a)
	s := 1 / (1 + q)
	if a < 0.625 {
		th = tanhf(a)
	} else {
		q2 := q * q
		th = (1 - q2) / (1 + q2)
	}
	if x < 0 {
		// σ(x) for x < 0 is q/(1+q), exact where 1 − s would cancel.
		return q / (1 + q), -th
	}
	return s, th
}
