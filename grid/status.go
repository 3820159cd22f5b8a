package grid

import (
	"context"
	"fmt"
	"slices"

	"github.com/rdarts/rdarts/robust"
	"github.com/rdarts/rdarts/train"
)

// Task states reported by Status.
const (
	StateDone       = "done"
	StateRunning    = "running"
	StatePending    = "pending"
	StateFailed     = "failed"
	StatePartial    = "interrupted" // a run to resume
	StateNotStarted = "not-started"
	StateChanged    = "changed" // the run folder's settings differ from the grid file's
)

// TaskStatus is one task's state and where it comes from.
type TaskStatus struct {
	Task   *Task
	State  string
	Detail string // the Slurm element and state, or the failure
}

// Status reads every task's run folder and, if q is set and the grid was
// submitted to Slurm, the queue's state of its latest array element. The
// run folder wins (done); then Slurm's running and pending; then a failure
// (from Slurm or the task's .failed marker); then a checkpoint. A queue
// error is returned with the folder-only states.
func (p *Plan) Status(ctx context.Context, q QueueFunc) ([]TaskStatus, error) {
	elem := map[string]string{} // stage/id → jobid_index of its latest submission
	var qerr error
	states := map[string]string{}
	if q != nil {
		jobs, err := p.Jobs()
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, j := range jobs {
			if j.JobID == "" {
				continue
			}
			ids = append(ids, j.JobID)
			for _, i := range j.Indices {
				if i < len(j.IDs) {
					elem[j.Stage+"/"+j.IDs[i]] = fmt.Sprintf("%s_%d", j.JobID, i)
				}
			}
		}
		if len(ids) > 0 {
			states, qerr = q(ctx, ids)
		}
	}
	var out []TaskStatus
	for _, t := range p.All() {
		s := TaskStatus{Task: t}
		e := elem[t.Stage+"/"+t.ID]
		qs := states[e]
		failMsg, failed := t.Failed()
		changes, cerr := t.Changes()
		switch {
		case cerr != nil:
			s.State, s.Detail = StateFailed, cerr.Error()
		case len(changes) > 0:
			s.State, s.Detail = StateChanged, changedError(t, changes).Error()
		case t.Done():
			s.State = StateDone
		case qs == "RUNNING" || qs == "COMPLETING" || qs == "CONFIGURING":
			s.State, s.Detail = StateRunning, "slurm "+e
		case qs == "PENDING" || qs == "REQUEUED" || qs == "RESIZING" || qs == "SUSPENDED":
			s.State, s.Detail = StatePending, "slurm "+e
		case slices.Contains([]string{"FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED"}, qs):
			s.State, s.Detail = StateFailed, "slurm "+e+" "+qs
			if failed {
				s.Detail += ": " + failMsg
			}
		case failed:
			s.State, s.Detail = StateFailed, failMsg
		case t.Resumable():
			s.State = StatePartial
		default:
			s.State = StateNotStarted
		}
		if qs == "COMPLETED" && !t.Done() && s.State != StateFailed {
			s.Detail = "slurm " + e + " COMPLETED without result.json"
		}
		out = append(out, s)
	}
	return out, qerr
}

// Selection is one (space, dataset, method, seed) of the grid: its search
// (or, for R-DARTS, the member with the best one-shot validation accuracy)
// and its retraining.
type Selection struct {
	Space, Dataset, Method string
	Seed                   uint64
	Done, Members          int     // finished searches of the group, all searches
	Selected               *Task   // nil until every member finished
	ValidAcc               float64 // the selected search's score (held-out or one-shot accuracy)
	Genotype               string
	// Retrain is the retraining's result.json, if finished.
	Retrain *train.Result
}

// Collect groups the finished searches per (space, dataset, method, seed)
// and selects R-DARTS' member by one-shot validation accuracy (docs/method.md,
// Selection: the paper's rule; the protocol may also select after a short
// retraining, which retrain_members: all makes possible).
func (p *Plan) Collect() []Selection {
	var out []Selection
	index := map[string]int{}
	var groups [][]*Task
	for _, t := range p.Search {
		k := fmt.Sprintf("%s|%s|%s|%d", t.Space, t.Dataset, t.Method, t.Seed)
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], t)
	}
	for _, g := range groups {
		t0 := g[0]
		s := Selection{Space: t0.Space, Dataset: t0.Dataset, Method: t0.Method, Seed: t0.Seed, Members: len(g)}
		for _, t := range g {
			if t.Done() {
				s.Done++
			}
		}
		probe := &Task{ID: "collect", From: g}
		if p.File.Select == robust.RuleRetrain && IsRDARTS(t0.Method) {
			for _, t := range g {
				if st, err := p.Find(StageSelect, t.ID); err == nil {
					probe.Scores = append(probe.Scores, st)
				}
			}
		}
		if best, acc, err := probe.Selected(); err == nil {
			s.Selected, s.ValidAcc = best, acc
			if res, err := best.SearchResult(); err == nil {
				s.Genotype = res.Genotype
			}
			for _, r := range p.Retrain {
				if r.Done() && slices.Contains(r.From, best) {
					if res, err := r.TrainResult(); err == nil {
						s.Retrain = &res
					}
				}
			}
		}
		out = append(out, s)
	}
	return out
}
