package search

import (
	"fmt"
	"math"
)

// Adaptive is the regularisation schedule of DARTS-ADA (docs/method.md,
// DARTS-ADA; RD:src/search/train_search.py with early_stop 3): each time the DARTS-ES
// rule fires, the search rolls back to the stop epoch and multiplies the
// weight decay of w by Factor, until the decay has reached Max.
//
// Adaptive is plain data: checkpoint it by value (all fields are exported
// and encode with encoding/json or encoding/gob).
type Adaptive struct {
	R         float64 // current weight decay of w (R₀ = 3e-4)
	Factor    float64 // multiplication factor η (mul_factor; the script uses 10)
	Max       float64 // R_max (max_weight_decay; the script uses 0.03)
	Increases int     // increases so far (restarts; the reference's iteration − 1)
}

// NewAdaptive returns the schedule of RD:scripts/DARTS-ADA_search.sh:
// R 3e-4, η 10, R_max 0.03 (at most 2 increases: 3e-4 → 3e-3 → 3e-2).
// The args.py defaults are η 3 and R_max 0.0243 (4 increases).
func NewAdaptive() *Adaptive {
	return &Adaptive{R: 3e-4, Factor: 10, Max: 0.03}
}

// Final reports whether R has reached R_max, by the reference's test
// round(log(R_max)/log(R), 1) == 1. The operands are numpy float64s
// (np.log), whose __round__ is numpy's: multiply by 10, round half to even,
// divide by 10; Final is thus true for log ratios within [0.95, 1.05].
//
// Unlike the reference, an R at or above R_max is final too: there an R
// that overshoots R_max by more than about 5 % in log scale (say η = 10
// with R_max = 0.05: 3e-2 gives 0.85, 3e-1 gives 2.5) is never final, and
// the weight decay grows until it overflows. With the reference's settings
// (R₀·ηᵏ lands on R_max) both rules agree.
// It panics unless R and Max are positive (Config.Validate ensures it).
func (a *Adaptive) Final() bool {
	if !(a.R > 0 && a.Max > 0) {
		panic(fmt.Sprintf("search: Adaptive: R %v and Max %v must be positive", a.R, a.Max))
	}
	return a.R >= a.Max || numpyRound1(math.Log(a.Max)/math.Log(a.R)) == 1
}

// numpyRound1 is numpy's round(x, 1) for a float64: x·10, rounded half to
// even, divided by 10. It differs from Python's round on a plain float at
// binary ties: numpy gives 1.0 for both 0.95 and 1.05, Python 0.9 and 1.1.
// Real weight-decay ratios never land on such ties; this pins the rule.
func numpyRound1(x float64) float64 {
	return math.RoundToEven(x*10) / 10
}

// Increase multiplies R by Factor and counts the increase, unless R is
// already final; ok reports whether it did. The caller applies newR to the
// SGD weight decay after restoring the checkpoint of the stop epoch. When
// ok is false the stop is to be ignored (the reference's final iteration).
func (a *Adaptive) Increase() (newR float64, ok bool) {
	if a.Final() {
		return a.R, false
	}
	a.R *= a.Factor // as args.weight_decay *= args.mul_factor, rounding included
	a.Increases++
	return a.R, true
}
