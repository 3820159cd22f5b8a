package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/space"
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

	abs string
}

// Retrain is one retraining result: a folder whose result.json has a
// test_error.
type Retrain struct {
	Dir       string
	TestError float64 // percent, result.json's test_error
	Curve     []Epoch // metrics.jsonl, if any
	Genotype  string  // from result.json or config.json, if any

	refs []string // string values of config.json and result.json that may name the search folder
	abs  string
}

// Epoch is one epoch of a retraining run's metrics.jsonl. Accuracies are
// percent; fields a run does not write stay zero.
type Epoch struct {
	Epoch     int     `json:"epoch"`
	LR        float64 `json:"lr"`
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	TestLoss  float64 `json:"test_loss"`
	TestAcc   float64 `json:"test_acc"`
}

// Method is the run's method as the paper names it (DARTS, R-DARTS(L2),
// R-DARTS(DP), DARTS-ES, DARTS-ADA, RS-ws); see MethodOf.
func (r *Run) Method() string { m, _ := MethodOf(r.Config); return m }

// Setting is what distinguishes runs of one method that are not seeds of
// each other (e.g. "wd=0.0081"); see MethodOf.
func (r *Run) Setting() string { _, s := MethodOf(r.Config); return s }

// MethodOf names a configuration's method as the paper does. Plain DARTS
// with a drop path is R-DARTS(DP), with a weight decay other than the
// default 3e-4 R-DARTS(L2); the setting then holds the value, and "1st
// order" is added for first-order runs. A DARTS-ES run with es_simulate ran
// to the end: it is reported as DARTS with setting "ES simulated".
func MethodOf(c search.Config) (method, setting string) {
	var s []string
	switch c.Method {
	case "darts":
		method = "DARTS"
		if c.DropPath > 0 {
			method = "R-DARTS(DP)"
			s = append(s, fmt.Sprintf("dp=%g", c.DropPath))
		}
		if c.WeightDecay != search.Defaults().WeightDecay {
			if c.DropPath == 0 {
				method = "R-DARTS(L2)"
			}
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
		if m.Event == "" {
			continue
		}
		kind, arg, ok := strings.Cut(m.Event, ":")
		var e int
		if _, err := fmt.Sscanf(arg, "%d", &e); !ok || err != nil {
			continue
		}
		evs = append(evs, Event{Kind: kind, At: m.Epoch, StopEpoch: e, Iteration: m.Iteration})
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
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &r.Config); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	if r.Config.Method == "" || r.Config.Space == "" {
		return nil, fmt.Errorf("%s: not a search configuration (no method or space)", filepath.Join(dir, "config.json"))
	}
	r.Log, err = readJSONL[search.Metrics](filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return nil, err
	}
	if len(r.Log) == 0 {
		return nil, fmt.Errorf("%s: no epochs recorded", filepath.Join(dir, "metrics.jsonl"))
	}
	r.Epochs = lastPerEpoch(r.Log, func(m search.Metrics) int { return m.Epoch })
	b, err = os.ReadFile(filepath.Join(dir, "result.json"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		last := r.Epochs[len(r.Epochs)-1]
		r.ResultEpoch, r.Genotype = last.Epoch, last.Genotype
		return r, nil
	case err != nil:
		return nil, err
	}
	var res struct {
		Epoch      *int     `json:"epoch"`
		Genotype   string   `json:"genotype"`
		ValidError *float64 `json:"valid_error"`
		TestError  *float64 `json:"test_error"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "result.json"), err)
	}
	if res.Epoch == nil || res.ValidError == nil {
		return nil, fmt.Errorf("%s: no epoch or valid_error", filepath.Join(dir, "result.json"))
	}
	r.Finished, r.ResultEpoch, r.ValidError, r.Genotype = true, *res.Epoch, *res.ValidError, res.Genotype
	if res.TestError != nil { // retrained in place
		r.Retrain = append(r.Retrain, &Retrain{Dir: dir, TestError: *res.TestError, Genotype: res.Genotype, abs: r.abs})
	}
	return r, nil
}

// LoadRetrain reads a retraining folder: result.json with test_error
// (required), metrics.jsonl (optional, its test curve) and config.json
// (optional, for matching).
func LoadRetrain(dir string) (*Retrain, error) {
	t := &Retrain{Dir: dir}
	t.abs, _ = filepath.Abs(dir)
	res, err := readObject(filepath.Join(dir, "result.json"))
	if err != nil {
		return nil, err
	}
	te, ok := res["test_error"].(float64)
	if !ok {
		return nil, fmt.Errorf("%s: no test_error", filepath.Join(dir, "result.json"))
	}
	t.TestError = te
	cfg, err := readObject(filepath.Join(dir, "config.json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, obj := range []map[string]any{res, cfg} {
		for k, v := range obj {
			s, ok := v.(string)
			if !ok {
				continue
			}
			t.refs = append(t.refs, s)
			if k == "genotype" && strings.Contains(s, "Genotype(") && t.Genotype == "" {
				t.Genotype = s
			}
		}
	}
	sort.Strings(t.refs)
	if _, err := os.Stat(filepath.Join(dir, "metrics.jsonl")); err == nil {
		t.Curve, err = readJSONL[Epoch](filepath.Join(dir, "metrics.jsonl"))
		if err != nil {
			return nil, err
		}
		t.Curve = lastPerEpoch(t.Curve, func(e Epoch) int { return e.Epoch })
	}
	return t, nil
}

// isRetrain reports whether dir's result.json has a test_error and its
// config.json is not a search configuration.
func isRetrain(dir string) bool {
	res, err := readObject(filepath.Join(dir, "result.json"))
	if err != nil {
		return false
	}
	if _, ok := res["test_error"].(float64); !ok {
		return false
	}
	cfg, _ := readObject(filepath.Join(dir, "config.json"))
	_, hasMethod := cfg["method"]
	return !hasMethod
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
		runs = append(runs, r)
		subs, _ := os.ReadDir(dir)
		for _, s := range subs {
			if sub := filepath.Join(dir, s.Name()); s.IsDir() && isRetrain(sub) {
				addRetrain(sub)
			}
		}
	}
	for _, t := range retrains {
		if r, why := match(t, runs); r != nil {
			r.Retrain = append(r.Retrain, t)
		} else {
			warn("retraining result left out ("+why+")", t.Dir, nil)
		}
	}
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
	for _, ref := range t.refs {
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

// readJSONL decodes one JSON object per line. A line that does not decode
// (a truncated last line included) is an error naming file and line.
func readJSONL[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w (truncated or half-written?)", path, n, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

func readObject(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
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
