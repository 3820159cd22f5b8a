package runfolder

import (
	"context"
	"errors"
	"time"
)

// ErrInterrupted is returned when a run stopped on request after writing a
// checkpoint; --resume continues it.
var ErrInterrupted = errors.New("interrupted; checkpoint written, continue with --resume")

// ErrDiverged is wrapped by the error of a run in which a quantity became
// NaN or Inf; the last good checkpoint stays resumable.
var ErrDiverged = errors.New("diverged")

// Progress receives step-level progress; nil means none.
type Progress interface {
	StartEpoch(epoch, epochs, steps, done int)
	Step(step int, loss, acc float64)
	EndEpoch()
}

// Position is where a run stands: the next step to run, the partial
// epoch's running sums and whether it has finished. It is part of every
// checkpoint, so a run resumed mid-epoch reports the same numbers.
type Position struct {
	Epoch, Step int
	Sums        Sums
	Done        bool
}

// Job is what the epoch loop runs: a search or a training.
type Job interface {
	// Pos is the job's position, which the loop advances.
	Pos() *Position
	// Epochs is the number of epochs of the run.
	Epochs() int
	// Epoch prepares an epoch: its step count and the function that runs
	// step i (returning the batch's mean loss, correct predictions and
	// size, or an error that ends the run), and what to release after it.
	Epoch(epoch int) (steps int, step func(i int) (loss float64, correct, n int, err error), done func())
	// EndEpoch does the end-of-epoch work (evaluation, decisions,
	// checkpoint); it may set Pos().Done or move the position (a rollback).
	EndEpoch(epoch int) error
	// Checkpoint saves the state at the current position.
	Checkpoint() error
}

// Loop runs a job's epochs until it is done, an error, or ctx's
// cancellation (then it checkpoints and returns ErrInterrupted).
type Loop struct {
	Progress Progress
	// StopAfter, if > 0, interrupts the run after that many steps, as a
	// cancellation would (tests stop a run at a precise point).
	StopAfter int
}

// Run runs the job.
func (l Loop) Run(ctx context.Context, j Job) error {
	budget := -1
	if l.StopAfter > 0 {
		budget = l.StopAfter
	}
	p := j.Pos()
	for !p.Done && p.Epoch < j.Epochs() {
		epoch := p.Epoch
		steps, step, done := j.Epoch(epoch)
		if l.Progress != nil {
			l.Progress.StartEpoch(epoch, j.Epochs(), steps, p.Step)
		}
		interrupted, err := l.steps(ctx, p, steps, &budget, step)
		done()
		if err != nil {
			return err
		}
		if interrupted {
			if err := j.Checkpoint(); err != nil {
				return err
			}
			return ErrInterrupted
		}
		if l.Progress != nil {
			l.Progress.EndEpoch()
		}
		if err := j.EndEpoch(epoch); err != nil {
			return err
		}
	}
	return nil
}

// steps runs steps p.Step … n−1 of an epoch. Before every step it checks
// for cancellation and for the budget: then it returns interrupted, with
// p.Step at the next step to run.
func (l Loop) steps(ctx context.Context, p *Position, n int, budget *int, step func(int) (float64, int, int, error)) (interrupted bool, err error) {
	for p.Step < n {
		if ctx.Err() != nil || *budget == 0 {
			return true, nil
		}
		if *budget > 0 {
			*budget--
		}
		start := time.Now()
		loss, correct, size, err := step(p.Step)
		if err != nil {
			return false, err
		}
		p.Sums.Add(loss, correct, size, time.Since(start).Seconds())
		p.Step++
		if l.Progress != nil {
			l.Progress.Step(p.Step, p.Sums.MeanLoss(), p.Sums.Accuracy())
		}
	}
	return false, nil
}

// Sums accumulates an epoch's training loss and accuracy.
type Sums struct {
	Loss    float64
	Correct int
	N       int
	Seconds float64
}

// Add counts one batch: its mean loss, correct predictions, size and time.
func (s *Sums) Add(loss float64, correct, n int, seconds float64) {
	s.Loss += loss * float64(n)
	s.Correct += correct
	s.N += n
	s.Seconds += seconds
}

// MeanLoss is the average loss per image.
func (s Sums) MeanLoss() float64 { return s.Loss / float64(max(s.N, 1)) }

// Accuracy is the percentage of correct predictions.
func (s Sums) Accuracy() float64 { return 100 * float64(s.Correct) / float64(max(s.N, 1)) }
