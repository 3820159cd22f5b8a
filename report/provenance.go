package report

import (
	"slices"

	"github.com/rdarts/rdarts/internal/provenance"
)

// noBuild is what Build says of a run folder without provenance records
// (a run of an rdarts older than provenance.jsonl).
const noBuild = "unknown (no provenance.jsonl)"

// FirstStart is the provenance of the run's first start; ok is false
// when the folder holds no provenance records.
func (r *Run) FirstStart() (rec provenance.Record, ok bool) {
	if len(r.Provenance) == 0 {
		return rec, false
	}
	return r.Provenance[0], true
}

// LastStart is the provenance of the run's last start or resume when it
// ran other code than the first (another commit, a dirty tree, another
// backend or CPU); ok is false when every start ran the same build.
func (r *Run) LastStart() (rec provenance.Record, ok bool) {
	if len(r.Provenance) < 2 {
		return rec, false
	}
	first, last := r.Provenance[0], r.Provenance[len(r.Provenance)-1]
	if first.Same(last) {
		return rec, false
	}
	return last, true
}

// Build names the code that produced the run: the commit (with "+dirty"
// for uncommitted changes), backend and CPU features of its first start
// and, when the last start or resume ran other code, "→" and that one's.
func (r *Run) Build() string {
	first, ok := r.FirstStart()
	if !ok {
		return noBuild
	}
	s := first.Short()
	if last, ok := r.LastStart(); ok {
		s += " → " + last.Short()
	}
	return s
}

// builds lists the distinct Build of runs, in first-seen order.
func builds(runs []*Run) []string {
	out := []string{}
	for _, r := range runs {
		if b := r.Build(); !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}
