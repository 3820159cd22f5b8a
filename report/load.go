package report

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rdarts/rdarts/internal/provenance"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/train"
)

// Run is one search run folder as read from disk.
type Run struct {
	Dir    string        // as given
	Config search.Config // config.json
	// Log is every record of metrics.jsonl in file order, rolled-back
	// DARTS-ADA epochs included.
	Log []search.Metrics
	// Epochs is the run's trajectory: the last record of each epoch, in
	// epoch order.
	Epochs []search.Metrics
	// Finished is true when result.json exists; ValidError and Genotype
	// then come from it (ResultEpoch is the epoch they belong to).
	Finished    bool
	ValidError  float64
	ResultEpoch int
	Genotype    string
	// Retrain holds the retraining results matched to this run.
	Retrain []*Retrain
	// Select is the R-DARTS selection retraining of this member (scored on
	// held-out training images), if found; Chosen marks the member its
	// group (space, dataset, family, seed) selected.
	Select *Retrain
	Chosen bool
	// Provenance holds the records of provenance.jsonl, one per start or
	// resume, oldest first (none for runs of an older rdarts); see Build.
	Provenance []provenance.Record

	abs     string
	provErr error // provenance.jsonl could not be read
}

// Retrain is one retraining result: a folder holding a training
// result.json.
type Retrain struct {
	Dir       string
	EvalSet   string          // "test", or "train[a:b]" for a selection run
	TestError float64         // percent, result.json's test_error
	Curve     []train.Metrics // metrics.jsonl, if any
	Genotype  string          // result.json's

	source string // the config's genotype_source: the search folder or its genotype.txt
	abs    string
}

// Method is the run's method as the paper names it (DARTS, R-DARTS(L2),
// R-DARTS(DP), DARTS-ES, DARTS-ADA, RS-ws); see MethodOf.
func (r *Run) Method() string { m, _ := MethodOf(r.Config); return m }

// Setting is what distinguishes runs of one method that are not seeds of
// each other (e.g. "wd=0.0081"); see MethodOf.
func (r *Run) Setting() string { _, s := MethodOf(r.Config); return s }

// MethodOf names a configuration's method as the paper does. A member of
// an R-DARTS grid (the config's r_darts record) is R-DARTS(L2) or
// R-DARTS(DP), its setting the member's value; other settings that differ
// from the defaults (drop path, weight decay) are named in the setting,
// and "1st order" is added for first-order runs. A DARTS-ES run with
// es_simulate ran to the end: it is reported as DARTS with setting "ES
// simulated".
func MethodOf(c search.Config) (method, setting string) {
	var s []string
	switch c.Method {
	case "darts":
		method = "DARTS"
		switch {
		case c.Member != nil && c.Member.Family == "dp":
			method = "R-DARTS(DP)"
		case c.Member != nil && c.Member.Family == "l2":
			method = "R-DARTS(L2)"
		}
		// A member's value is the run's Member(), not a setting: the
		// chosen members of a family make one row.
		if c.DropPath > 0 && c.Member == nil {
			s = append(s, fmt.Sprintf("dp=%g", c.DropPath))
		}
		if c.WeightDecay != search.Defaults().WeightDecay && c.Member == nil {
			s = append(s, fmt.Sprintf("wd=%g", c.WeightDecay))
		}
	case "darts-es":
		method = "DARTS-ES"
		if c.ESSimulate {
			method = "DARTS"
			s = append(s, "ES simulated")
		}
	case "darts-ada":
		method = "DARTS-ADA"
	case "rs-ws":
		method = "RS-ws"
	default:
		method = c.Method
	}
	if c.Order == 1 {
		s = append(s, "1st order")
	}
	return method, strings.Join(s, ", ")
}

// MemberValue names an R-DARTS member's regularisation ("wd=0.0027",
// "dp=0.2"), or "" for a run outside a grid.
func (r *Run) MemberValue() string {
	m := r.Config.Member
	switch {
	case m == nil:
		return ""
	case m.Family == "l2":
		return fmt.Sprintf("wd=%g", m.Value)
	}
	return fmt.Sprintf("dp=%g", m.Value)
}

// SelectScore is an R-DARTS member's selection score: the held-out
// accuracy of its selection retraining; ok is false without one.
func (r *Run) SelectScore() (float64, bool) {
	if r.Select == nil {
		return 0, false
	}
	return 100 - r.Select.TestError, true
}

// markChosen marks, in each R-DARTS group (space, dataset, family, seed),
// the member with the best selection score — the one-shot validation
// accuracy where a member has no selection run — as the grid and rdarts
// robust choose it.
func markChosen(runs []*Run) {
	type key struct {
		space, dataset, family string
		seed                   uint64
	}
	best := map[key]*Run{}
	score := func(r *Run) float64 {
		if s, ok := r.SelectScore(); ok {
			return 1000 + s // a scored member beats an unscored one
		}
		return 100 - r.ValidError
	}
	for _, r := range runs {
		c := r.Config
		if c.Member == nil || !r.Finished {
			continue
		}
		k := key{c.Space, c.Dataset, c.Member.Family, c.Seed}
		if b, ok := best[k]; !ok || score(r) > score(b) {
			best[k] = r
		}
	}
	for _, r := range best {
		r.Chosen = true
	}
}

// EV is the run's eigenvalue series: the evaluated epochs of Epochs.
func (r *Run) EV() []search.EpochEV {
	var ev []search.EpochEV
	for _, m := range r.Epochs {
		if m.EV != nil {
			ev = append(ev, search.EpochEV{Epoch: m.Epoch, EV: *m.EV})
		}
	}
	return ev
}

// ESParams is the run's DARTS-ES rule with its configured constants.
func (r *Run) ESParams() *search.EarlyStop {
	c := r.Config
	return &search.EarlyStop{Window: c.ES.Window, Delta: c.ES.Delta, Factor: c.ES.Factor, StartEpoch: c.ES.StartEpoch, Every: max(c.HessianEvery, 1)}
}

// Smoothed returns the centred local averages of the eigenvalues (one per
// evaluation, the averages the ES rule compares), using the run's window.
func (r *Run) Smoothed() []float64 {
	ev := r.EV()
	x := make([]float64, len(ev))
	for i, e := range ev {
		x[i] = e.EV
	}
	return search.CentredAverages(x, max(r.Config.ES.Window, 1))
}

// Event is a DARTS-ES or DARTS-ADA decision read from the log.
type Event struct {
	Kind      string // es-stop, es-would-stop, ada-rollback, or es-replayed
	At        int    // the epoch whose evaluation decided it
	StopEpoch int    // the epoch stopped at or rolled back to
	Iteration int    // DARTS-ADA restarts before it
}

// Events lists the decisions in log order. When the log holds none (a run
// without events, e.g. one written before they were logged) and the run has
// eigenvalues, the ES rule is replayed on its series with search.StopEpoch:
// a fired rule gives one "es-replayed" event.
func (r *Run) Events() []Event {
	var evs []Event
	for _, m := range r.Log {
		if m.Event == nil || m.Event.Kind == search.EventRSSelect {
			continue
		}
		evs = append(evs, Event{Kind: m.Event.Kind, At: m.Epoch, StopEpoch: m.Event.Epoch, Iteration: m.Iteration})
	}
	if len(evs) > 0 || r.Config.HessianEvery == 0 {
		return evs
	}
	ev := r.EV()
	if len(ev) == 0 || r.Config.ES.Window < 1 || r.Config.ES.Delta < 1 || !(r.Config.ES.Factor > 0) {
		return nil
	}
	if at, stop, ok := search.StopEpoch(ev, r.Config.Epochs-1, r.ESParams()); ok {
		evs = append(evs, Event{Kind: "es-replayed", At: at, StopEpoch: stop})
	}
	return evs
}

// FirstStop is the first DARTS-ES decision of the run (a stop, a would-be
// stop, the first ADA rollback or a replayed rule); ok is false if none.
func (r *Run) FirstStop() (Event, bool) {
	evs := r.Events()
	if len(evs) == 0 {
		return Event{}, false
	}
	return evs[0], true
}

// FinalEV is the eigenvalue at the run's result: the last evaluation at or
// before ResultEpoch (the last epoch for an unfinished run); ok is false
// without eigenvalues.
func (r *Run) FinalEV() (float64, bool) {
	end := r.ResultEpoch
	if !r.Finished && len(r.Epochs) > 0 {
		end = r.Epochs[len(r.Epochs)-1].Epoch
	}
	v, ok := 0.0, false
	for _, e := range r.EV() {
		if e.Epoch <= end {
			v, ok = e.EV, true
		}
	}
	return v, ok
}

// StopEV is the eigenvalue at the epoch of the run's first DARTS-ES
// decision (a stop, a would-be stop or a rollback target): the last
// evaluation at or before that epoch; ok is false if the rule never fired.
func (r *Run) StopEV() (float64, bool) {
	e, ok := r.FirstStop()
	if !ok {
		return 0, false
	}
	v, found := 0.0, false
	for _, x := range r.EV() {
		if x.Epoch <= e.StopEpoch {
			v, found = x.EV, true
		}
	}
	return v, found
}

// ParamFreeShare is the share of the result's normal-cell ops that have no
// weights (skip_connect, pools, none, noise): the collapse the paper
// describes drives it towards 1. ok is false for an unreadable genotype.
func (r *Run) ParamFreeShare() (float64, bool) {
	g, err := space.Parse(r.Genotype)
	if err != nil || len(g.Normal) == 0 {
		return 0, false
	}
	n := 0
	for _, p := range g.Normal {
		if paramFree(p.Op) {
			n++
		}
	}
	return float64(n) / float64(len(g.Normal)), true
}

// TestError is the mean retrained test error of the run; ok is false when
// no retraining result was matched.
func (r *Run) TestError() (float64, bool) {
	if len(r.Retrain) == 0 {
		return 0, false
	}
	var x []float64
	for _, t := range r.Retrain {
		x = append(x, t.TestError)
	}
	m, _ := MeanStd(x)
	return m, true
}

// LoadRun reads a search run folder. It fails on a missing or unreadable
// config.json, a missing or empty metrics.jsonl, or any line of it that is
// not a complete JSON object (a half-written folder); the error names the
// file. A missing result.json is not an error (the run is unfinished).
func LoadRun(dir string) (*Run, error) {
	r := &Run{Dir: dir}
	r.abs, _ = filepath.Abs(dir)
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("not a folder")
	}
	var err error
	if r.Config, err = search.LoadConfig(dir); err != nil {
		return nil, err
	}
	if r.Log, err = search.ReadMetrics(dir, false); err != nil {
		return nil, err
	}
	if len(r.Log) == 0 {
		return nil, fmt.Errorf("%s: no epochs recorded", filepath.Join(dir, runfolder.MetricsFile))
	}
	r.Epochs = search.LatestPerEpoch(r.Log)
	r.Provenance, r.provErr = provenance.Read(dir)
	if !runfolder.Finished(dir) {
		last := r.Epochs[len(r.Epochs)-1]
		r.ResultEpoch, r.Genotype = last.Epoch, last.Genotype
		return r, nil
	}
	res, err := search.ReadResult(dir)
	if err != nil {
		return nil, err
	}
	r.Finished, r.ResultEpoch, r.ValidError, r.Genotype = true, res.Epoch, res.ValidError, res.Genotype
	return r, nil
}

// LoadRetrain reads a retraining folder: result.json (required),
// metrics.jsonl (optional, its test curve) and config.json (optional, for
// matching).
func LoadRetrain(dir string) (*Retrain, error) {
	t := &Retrain{Dir: dir}
	t.abs, _ = filepath.Abs(dir)
	res, err := train.ReadResult(dir)
	if err != nil {
		return nil, err
	}
	t.TestError, t.Genotype, t.EvalSet = res.TestError, res.Genotype, res.EvalSet
	if cfg, err := train.ReadConfig(dir); err == nil {
		t.source = cfg.GenotypeSource
	} else if runfolder.Resumable(dir) {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, runfolder.MetricsFile)); err == nil {
		curve, err := train.ReadMetrics(dir)
		if err != nil {
			return nil, err
		}
		t.Curve = lastPerEpoch(curve, func(e train.Metrics) int { return e.Epoch })
	}
	return t, nil
}

// isRetrain reports whether dir holds a training run: its result.json,
// or, before it finished, its config.json.
func isRetrain(dir string) bool {
	if _, err := train.ReadResult(dir); err == nil {
		return true
	}
	_, err := train.ReadConfig(dir)
	return err == nil
}

// Load reads every folder in dirs: search runs, and retraining folders
// matched to them (retraining folders directly inside a search folder are
// found without being named). Folders that cannot be read are skipped with
// a warning naming them, logged on log (nil: not logged) and returned; the
// runs are returned in the order given.
func Load(dirs []string, log *slog.Logger) (runs []*Run, warnings []string) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	warn := func(msg, dir string, err error) {
		if err != nil {
			log.Warn(msg, "dir", dir, "err", err)
			warnings = append(warnings, fmt.Sprintf("%s %s: %v", msg, dir, err))
		} else {
			log.Warn(msg, "dir", dir)
			warnings = append(warnings, fmt.Sprintf("%s: %s", msg, dir))
		}
	}
	var retrains []*Retrain
	seen := map[string]bool{}
	addRetrain := func(dir string) {
		abs, _ := filepath.Abs(dir)
		if seen[abs] {
			return
		}
		seen[abs] = true
		t, err := LoadRetrain(dir)
		if _, statErr := os.Stat(filepath.Join(dir, runfolder.ResultFile)); err != nil && errors.Is(statErr, fs.ErrNotExist) && runfolder.Resumable(dir) {
			warn("retraining unfinished (no result.json): left out of the table", dir, nil)
			return
		}
		if err != nil {
			warn("skipping retraining folder", dir, err)
			return
		}
		retrains = append(retrains, t)
	}
	for _, dir := range dirs {
		abs, _ := filepath.Abs(dir)
		if isRetrain(dir) {
			addRetrain(dir)
			continue
		}
		if seen[abs] {
			continue
		}
		seen[abs] = true
		r, err := LoadRun(dir)
		if err != nil {
			warn("skipping run folder", dir, err)
			continue
		}
		if !r.Finished {
			warn("run unfinished (no result.json): plotted, left out of the table", dir, nil)
		}
		if r.provErr != nil {
			warn("provenance unreadable, build unknown", dir, r.provErr)
		}
		runs = append(runs, r)
		subs, _ := os.ReadDir(dir)
		for _, s := range subs {
			if sub := filepath.Join(dir, s.Name()); s.IsDir() && isRetrain(sub) {
				addRetrain(sub)
			}
		}
	}
	for _, t := range retrains {
		r, why := match(t, runs)
		switch {
		case r == nil:
			warn("retraining result left out ("+why+")", t.Dir, nil)
		case t.EvalSet != "" && t.EvalSet != "test":
			r.Select = t // a selection retraining: held-out score, not a test error
		default:
			r.Retrain = append(r.Retrain, t)
		}
	}
	markChosen(runs)
	return runs, warnings
}

// match finds the search run a retraining result belongs to (see the
// package documentation), or nil and why not.
func match(t *Retrain, runs []*Run) (*Run, string) {
	for _, r := range runs {
		if strings.HasPrefix(t.abs, r.abs+string(filepath.Separator)) {
			return r, ""
		}
	}
	if ref := t.source; ref != "" {
		for _, base := range []string{"", filepath.Dir(t.abs), t.abs} {
			p := ref
			if base != "" && !filepath.IsAbs(p) {
				p = filepath.Join(base, p)
			}
			p, _ = filepath.Abs(p)
			for _, r := range runs {
				if p == r.abs || p == filepath.Join(r.abs, "genotype.txt") {
					return r, ""
				}
			}
		}
	}
	const none = "it names no search run given and its genotype matches none"
	if t.Genotype == "" {
		return nil, none
	}
	g, err := space.Parse(t.Genotype)
	if err != nil {
		return nil, none
	}
	var found []*Run
	for _, r := range runs {
		if h, err := space.Parse(r.Genotype); err == nil && g.Equal(h) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return nil, none
	case 1:
		return found[0], ""
	}
	return nil, fmt.Sprintf("its genotype is the result of %d runs given; ambiguous", len(found))
}

// lastPerEpoch keeps the last record of each epoch, in epoch order.
func lastPerEpoch[T any](log []T, epoch func(T) int) []T {
	idx := map[int]int{}
	for i, m := range log {
		idx[epoch(m)] = i
	}
	var out []T
	for _, i := range idx {
		out = append(out, log[i])
	}
	slices.SortFunc(out, func(a, b T) int { return epoch(a) - epoch(b) })
	return out
}

// MeanStd returns the mean and the sample standard deviation (n−1 in the
// denominator, 0 for a single value) of x; NaN, NaN for an empty x.
func MeanStd(x []float64) (mean, std float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)-1))
}
