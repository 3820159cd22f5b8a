package grid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
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
// failed tasks (the others still ran), or ctx's error if interrupted. Of
// the tasks ready to start, a worker takes the one of the latest stage,
// then the first in grid order: a space's retrainings start as soon as its
// searches are done, so results arrive space by space rather than all at
// the end.
func (l Local) Execute(ctx context.Context, p *Plan) (Summary, error) {
	workers := max(l.Workers, 1)
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		sum     Summary
		all     = p.All()
		ready   []*Task            // queued, not yet taken, in grid order
		done    = map[*Task]bool{} // finished successfully or already
		settled = map[*Task]bool{} // finished, failed or blocked
		queued  = map[*Task]bool{}
		rank    = map[*Task]int{} // position in all
		pending = len(all)
		wg      sync.WaitGroup
	)
	for i, t := range all {
		rank[t] = i
	}
	logf := func(format string, args ...any) {
		if l.Log != nil {
			fmt.Fprintf(l.Log, format+"\n", args...)
		}
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
					ready = append(ready, t)
				}
			}
		}
		cond.Broadcast()
	}
	settle = func(t *Task, ok bool) {
		settled[t], done[t] = true, ok
		pending--
	}
	// take removes and returns the ready task to run next (mu held).
	take := func() *Task {
		best := -1
		for i, t := range ready {
			if best < 0 || stageOrder(t.Stage) > stageOrder(ready[best].Stage) ||
				(t.Stage == ready[best].Stage && rank[t] < rank[ready[best]]) {
				best = i
			}
		}
		t := ready[best]
		ready = append(ready[:best], ready[best+1:]...)
		return t
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		cond.Broadcast()
		mu.Unlock()
	})
	defer stop()
	mu.Lock()
	release()
	mu.Unlock()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			for {
				for len(ready) == 0 && pending > 0 && ctx.Err() == nil {
					cond.Wait()
				}
				if pending == 0 || ctx.Err() != nil {
					return
				}
				t := take()
				mu.Unlock()
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

// stageOrder ranks stages: later stages first when several tasks are ready.
func stageOrder(stage string) int { return slices.Index(Stages, stage) }
