package runfolder

import (
	"context"
	"time"
)

// Steps is the step loop of one epoch, shared by search and retraining:
// it runs steps *Pos..N-1, adds each step's result to Sums and reports
// progress. Before every step it checks for cancellation and for the
// budget (tests stop a run at a precise step): then it returns
// interrupted, with *Pos at the next step to run, for the caller to
// checkpoint.
type Steps struct {
	N    int
	Pos  *int
	Sums *Sums
	// Budget counts the steps still allowed; a negative value means no limit.
	Budget *int
	// Progress, if set, receives the step count and running loss/accuracy.
	Progress func(step int, loss, acc float64)
}

// Run runs the loop; step returns the batch's mean loss, correct
// predictions and size, or an error that ends the loop.
func (s Steps) Run(ctx context.Context, step func(i int) (loss float64, correct, n int, err error)) (interrupted bool, err error) {
	for *s.Pos < s.N {
		if ctx.Err() != nil || *s.Budget == 0 {
			return true, nil
		}
		if *s.Budget > 0 {
			*s.Budget--
		}
		start := time.Now()
		loss, correct, n, err := step(*s.Pos)
		if err != nil {
			return false, err
		}
		s.Sums.Add(loss, correct, n, time.Since(start).Seconds())
		*s.Pos++
		if s.Progress != nil {
			s.Progress(*s.Pos, s.Sums.MeanLoss(), s.Sums.Accuracy())
		}
	}
	return false, nil
}

// Budget turns a StopAfter setting (0 = no limit) into a Steps budget.
func Budget(stopAfter int) int {
	if stopAfter > 0 {
		return stopAfter
	}
	return -1
}
