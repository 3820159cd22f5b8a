package grid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Local runs a plan's tasks on this machine, Workers at a time. A
// retraining starts as soon as the searches it needs are done. Finished
// tasks are skipped and interrupted ones resumed (see Attempt), so a killed
// grid run restarted with the same command finishes the rest and repeats
// nothing that finished.
type Local struct {
	Workers int
	Run     RunFunc
	// RerunChanged replaces the runs whose settings changed (see
	// Task.Changes) instead of leaving them.
	RerunChanged bool
	// Log, if set, receives a line per task outcome.
	Log io.Writer
}

// Summary counts a grid run's outcomes.
type Summary struct {
	Ran, Skipped, Failed, Blocked, Changed int
	Errors                                 []error
}

// Execute runs every task of the plan; it returns an error naming the
// failed tasks (the others still ran), or ctx's error if interrupted.
func (l Local) Execute(ctx context.Context, p *Plan) (Summary, error) {
	workers := max(l.Workers, 1)
	var (
		mu      sync.Mutex
		sum     Summary
		all     = p.All()
		ready   = make(chan *Task, len(all))
		done    = map[*Task]bool{} // finished successfully or already
		settled = map[*Task]bool{} // finished, failed or blocked
		queued  = map[*Task]bool{}
		pending = len(all)
		wg      sync.WaitGroup
	)
	logf := func(format string, args ...any) {
		if l.Log != nil {
			fmt.Fprintf(l.Log, format+"\n", args...)
		}
	}
	allDone := make(chan struct{})
	if pending == 0 {
		close(allDone)
	}
	var settle func(t *Task, ok bool)
	// release queues the tasks whose needs are all settled and blocks
	// those a failed need stops, until nothing changes (called with mu
	// held).
	release := func() {
		for changed := true; changed; {
			changed = false
			for _, t := range all {
				if settled[t] || queued[t] {
					continue
				}
				allSettled, anyFailed := true, false
				for _, n := range t.Needs() {
					allSettled = allSettled && settled[n]
					anyFailed = anyFailed || (settled[n] && !done[n])
				}
				switch {
				case anyFailed && allSettled:
					sum.Blocked++
					logf("grid: blocked %s %s: a task it needs failed", t.Stage, t.ID)
					settle(t, false)
					changed = true
				case allSettled:
					queued[t] = true
					ready <- t
				}
			}
		}
	}
	settle = func(t *Task, ok bool) {
		settled[t], done[t] = true, ok
		pending--
		if pending == 0 {
			close(allDone)
		}
	}
	mu.Lock()
	release()
	mu.Unlock()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-allDone:
					return
				case <-ctx.Done():
					return
				case t := <-ready:
					if ctx.Err() != nil {
						return
					}
					err := Attempt(ctx, t, l.Run, l.RerunChanged)
					mu.Lock()
					switch {
					case errors.Is(err, ErrSkipped):
						sum.Skipped++
						logf("grid: skip %s %s (finished)", t.Stage, t.ID)
					case errors.Is(err, ErrChanged):
						sum.Changed++
						sum.Errors = append(sum.Errors, err)
						logf("grid: CHANGED %s %s: %v", t.Stage, t.ID, err)
					case err != nil && ctx.Err() != nil:
						// Interrupted: leave it unsettled.
						mu.Unlock()
						return
					case err != nil:
						sum.Failed++
						sum.Errors = append(sum.Errors, err)
						logf("grid: FAILED %s %s: %v", t.Stage, t.ID, err)
					default:
						sum.Ran++
						logf("grid: done %s %s", t.Stage, t.ID)
					}
					settle(t, err == nil || errors.Is(err, ErrSkipped))
					release()
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("grid run interrupted (%w); run the same command again to finish it", err)
	}
	if sum.Failed+sum.Blocked+sum.Changed > 0 {
		var msgs []string
		for _, e := range sum.Errors {
			msgs = append(msgs, "  "+e.Error())
		}
		return sum, fmt.Errorf("%d task(s) failed, %d changed (grid run --rerun-changed reruns them) and %d retraining(s) could not start:\n%s",
			sum.Failed, sum.Changed, sum.Blocked, strings.Join(msgs, "\n"))
	}
	return sum, nil
}
