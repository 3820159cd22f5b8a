package grid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/search"
	"github.com/rdarts/rdarts/space"
	"github.com/rdarts/rdarts/train"
)

const study = `
out: out
spaces: [s1, s2, s3, s4]
datasets: [cifar10, cifar100, svhn]
methods: [darts, darts-es, darts-ada, r-darts-l2, r-darts-dp, rs-ws]
seeds: [1, 2, 3]
data: {cifar10: /d/c10, cifar100: /d/c100, svhn: /d/svhn}
search: {epochs: 50}
retrain: true
`

func plan(t *testing.T, text string) *Plan {
	t.Helper()
	f, err := Parse([]byte(text), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Plan()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanCounts(t *testing.T) {
	p := plan(t, study)
	// 4 methods with one search each, R-DARTS(L2) and (DP) with 4 members.
	if want := 4 * 3 * 3 * (4 + 4 + 4); len(p.Search) != want {
		t.Errorf("%d search tasks, want %d", len(p.Search), want)
	}
	if want := 4 * 3 * 6 * 3; len(p.Retrain) != want {
		t.Errorf("%d retrain tasks, want %d", len(p.Retrain), want)
	}
	all := plan(t, study+"retrain_members: all\n")
	if len(all.Retrain) != len(all.Search) {
		t.Errorf("retrain_members all: %d retrain tasks for %d searches", len(all.Retrain), len(all.Search))
	}
	seen := map[string]bool{}
	for _, tk := range p.All() {
		k := tk.Stage + "/" + tk.ID
		if seen[k] {
			t.Errorf("duplicate id %s", k)
		}
		seen[k] = true
	}
	none := plan(t, strings.Replace(study, "retrain: true", "retrain: false", 1))
	if len(none.Retrain) != 0 {
		t.Errorf("retrain false: %d retrain tasks", len(none.Retrain))
	}
}

func TestMembersAndOverrides(t *testing.T) {
	p := plan(t, `
out: /o
spaces: [s2]
datasets: [svhn]
methods: [darts, darts-es, r-darts-l2, r-darts-dp]
seeds: [7]
data: {svhn: /d}
search: {epochs: 10, weight_decay: 0.0005}
overrides:
  - {method: darts, set: {epochs: 3}}
  - {dataset: svhn, method: darts, set: {layers: 5}}
retrain: true
train: {epochs: 20, init_channels: 8}
`)
	byID := map[string]*Task{}
	for _, tk := range p.Search {
		byID[tk.ID] = tk
	}
	d := byID["s2_svhn_darts_seed7"]
	if d == nil || d.Search.Epochs != 3 || d.Search.Layers != 5 || d.Search.WeightDecay != 0.0005 || d.Search.Seed != 7 || d.Search.Data != "/d" {
		t.Fatalf("darts task: %+v", d)
	}
	if d.Dir != "/o/search/s2_svhn_darts_seed7" {
		t.Errorf("dir %s", d.Dir)
	}
	es := byID["s2_svhn_darts-es_seed7"]
	if es.Search.Method != "darts-es" || es.Search.HessianEvery != DefaultHessianEvery || es.Search.Epochs != 10 {
		t.Errorf("darts-es: %+v", es.Search)
	}
	if byID["s2_svhn_darts_seed7"].Search.HessianEvery != 0 {
		t.Errorf("darts got hessian_every")
	}
	for _, wd := range DefaultL2Grid {
		m := byID[fmt.Sprintf("s2_svhn_r-darts-l2_wd%s_seed7", num(wd))]
		if m == nil || m.Search.Method != "darts" || m.Search.WeightDecay != wd || m.Search.DropPath != 0 {
			t.Errorf("L2 member %g: %+v", wd, m)
		}
	}
	for _, dp := range DefaultDPGrid {
		m := byID[fmt.Sprintf("s2_svhn_r-darts-dp_dp%s_seed7", num(dp))]
		if m == nil || m.Search.Method != "darts" || m.Search.DropPath != dp || !m.Search.Cutout || m.Search.WeightDecay != 0.0005 {
			t.Errorf("DP member %g: %+v", dp, m)
		}
	}
	// One retraining per (method, seed); R-DARTS chooses among its 4.
	if len(p.Retrain) != 4 {
		t.Fatalf("%d retrain tasks", len(p.Retrain))
	}
	r := p.Retrain[2]
	if r.ID != "s2_svhn_r-darts-l2_seed7" || len(r.From) != 4 || r.Dir != "/o/retrain/s2_svhn_r-darts-l2_seed7" {
		t.Errorf("R-DARTS retrain: %s from %d, %s", r.ID, len(r.From), r.Dir)
	}
	if r.Train.Channels != 8 || r.Train.Epochs != 20 {
		t.Errorf("train flags %v", r.Train)
	}
}

// Ids and folders do not depend on what else the grid holds or on the
// order of its lists.
func TestStableIDs(t *testing.T) {
	small := plan(t, `
out: /o
spaces: [s2]
datasets: [cifar10]
methods: [darts, r-darts-dp]
seeds: [1]
data: {cifar10: /d}
`)
	big := plan(t, `
out: /o
spaces: [s3, s2]
datasets: [svhn, cifar10]
methods: [r-darts-dp, darts-ada, darts]
seeds: [2, 1, 3]
data: {cifar10: /d, svhn: /s}
`)
	dirs := map[string]string{}
	for _, tk := range big.Search {
		dirs[tk.ID] = tk.Dir
	}
	for _, tk := range small.Search {
		if dirs[tk.ID] != tk.Dir {
			t.Errorf("%s: folder %q in the bigger grid, %q in the small one", tk.ID, dirs[tk.ID], tk.Dir)
		}
	}
}

func TestStrictErrors(t *testing.T) {
	base := map[string]string{
		"out":      "out: o",
		"spaces":   "spaces: [s2]",
		"datasets": "datasets: [cifar10]",
		"methods":  "methods: [darts]",
		"seeds":    "seeds: [1]",
		"data":     "data: {cifar10: /d}",
	}
	keys := []string{"out", "spaces", "datasets", "methods", "seeds", "data"}
	file := func(change map[string]string, extra string) string {
		var lines []string
		for _, k := range keys {
			v, ok := change[k]
			if !ok {
				v = base[k]
			}
			lines = append(lines, v)
		}
		return strings.Join(lines, "\n") + "\n" + extra
	}
	cases := []struct {
		name   string
		change map[string]string
		extra  string
		want   string
	}{
		{"unknown key", nil, "epochs: 3\n", "field epochs not found"},
		{"unknown search key", nil, "search: {epoch: 3}\n", "line 7: search.epoch: not a search setting"},
		{"search key twice", nil, "search: {init_channels: 3, init-channels: 4}\n", "line 7: search.init_channels: already set on line 7"},
		{"train key twice", nil, "retrain: true\ntrain:\n  init_channels: 3\n  init-channels: 4\n", "line 10: train.init_channels: already set on line 9"},
		{"train not a value", nil, "retrain: true\ntrain: {epochs: [3]}\n", "line 8: train.epochs: cannot unmarshal"},
		{"select key", nil, "select: {epoch: 3}\n", "line 7: select.epoch: not a select setting"},
		{"bad search value", nil, "search: {epochs: many}\n", `line 7: search.epochs: "many" is not a valid int`},
		{"grid-owned field", nil, "search: {seed: 3}\n", "search.seed: set by the grid's seeds list"},
		{"bad method", map[string]string{"methods": "methods: [darts, pc-darts]"}, "", `methods: "pc-darts" is not one of`},
		{"no data", map[string]string{"data": "data: {}"}, "", "data: no folder for dataset cifar10"},
		{"data for unlisted", map[string]string{"data": "data: {cifar10: /d, svhn: /s}"}, "", "data.svhn: dataset svhn is not in datasets"},
		{"no out", map[string]string{"out": ""}, "", "out: missing"},
		{"no seeds", map[string]string{"seeds": "seeds: []"}, "", "seeds: missing or empty"},
		{"dup seed", map[string]string{"seeds": "seeds: [1, 1]"}, "", "seeds: 1 is listed twice"},
		{"dup space", map[string]string{"spaces": "spaces: [s2, s2]"}, "", `spaces: "s2" is listed twice`},
		{"recurrent space", map[string]string{"spaces": "spaces: [s2, rnn]"}, "", "spaces: rnn: a grid takes the convolutional spaces"},
		{"override selector", nil, "overrides: [{space: s9, set: {epochs: 1}}]\n", `overrides[0].space: "s9" is not in spaces`},
		{"override key", nil, "overrides: [{set: {epochz: 1}}]\n", "line 7: overrides[0].set.epochz: not a search setting"},
		{"override no set", nil, "overrides: [{space: s2}]\n", "overrides[0].set: missing"},
		{"retrain members", nil, "retrain: true\nretrain_members: best\n", `retrain_members: "best" is not one of`},
		{"train without retrain", nil, "train: {epochs: 3}\n", "train: set but retrain is false"},
		{"train key", nil, "retrain: true\ntrain: {epochz: 3}\n", "line 8: train.epochz: not a setting of rdarts train"},
		{"train reserved", nil, "retrain: true\ntrain: {genotype: x}\n", "line 8: train.genotype: the grid sets --genotype itself"},
		{"l2 grid", nil, "l2_grid: [-1]\n", "l2_grid: -1 must be ≥ 0"},
		{"dp grid", nil, "dp_grid: [0.2, 1]\n", "dp_grid: 1 must be in [0, 1)"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(file(c.change, c.extra)), "/")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	// Values search.Config.Validate refuses name the task and the field.
	f, err := Parse([]byte(file(nil, "search: {epochs: 0}\n")), "/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Plan(); err == nil || !strings.Contains(err.Error(), "task s2_cifar10_darts_seed1: epochs: must be at least 1") {
		t.Errorf("epochs 0: %v", err)
	}
	// So do values train.Config.Validate refuses.
	f, err = Parse([]byte(file(nil, "retrain: true\ntrain: {batch_size: 1}\n")), "/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Plan(); err == nil || !strings.Contains(err.Error(), "train: batch-size: must be at least 2") {
		t.Errorf("train batch size 1: %v", err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fake is a RunFunc that writes result.json (with a validation accuracy
// per member) and records its calls; interruptAt makes its n-th call
// write a checkpoint and cancel the grid run, as a kill would.
type fake struct {
	mu          sync.Mutex
	calls       []string
	interruptAt int
	cancel      context.CancelFunc
	failID      string
	retrainFrom map[string]string // retrain id → selected search id
}

func (f *fake) run(ctx context.Context, t *Task, resume, force bool) error {
	f.mu.Lock()
	call := fmt.Sprintf("%s/%s resume=%v", t.Stage, t.ID, resume)
	if force {
		call += " force"
	}
	f.calls = append(f.calls, call)
	n := len(f.calls)
	f.mu.Unlock()
	if err := os.MkdirAll(t.Dir, 0o755); err != nil {
		return err
	}
	if t.Stage == StageSearch {
		b, _ := json.Marshal(t.Search)
		if err := os.WriteFile(filepath.Join(t.Dir, runfolder.ConfigFile), b, 0o644); err != nil {
			return err
		}
	}
	if n == f.interruptAt {
		os.WriteFile(filepath.Join(t.Dir, runfolder.CheckpointFile), []byte("ck"), 0o644)
		f.cancel()
		return errors.New("killed")
	}
	if t.ID == f.failID {
		return errors.New("diverged")
	}
	// The best L2 member after its selection retraining is wd0.0027;
	// by one-shot accuracy it would be wd0.0003.
	acc := 50.0
	switch {
	case t.Stage == StageSelect && t.Member == "wd0.0027":
		acc = 60
	case t.Stage == StageSearch && t.Member == "wd0.0003":
		acc = 70
	}
	if t.Stage == StageRetrain {
		src, _, err := t.Selected()
		if err != nil {
			return err
		}
		f.mu.Lock()
		f.retrainFrom[t.ID] = src.ID
		f.mu.Unlock()
	}
	if t.Stage == StageRetrain {
		c, err := t.RetrainConfig()
		if err != nil {
			return err
		}
		b, _ := json.Marshal(c)
		if err := os.WriteFile(filepath.Join(t.Dir, runfolder.ConfigFile), b, 0o644); err != nil {
			return err
		}
	}
	if t.Stage != StageSearch {
		if err := os.WriteFile(filepath.Join(t.Dir, runfolder.MetricsFile), []byte(t.ID+"\n"), 0o644); err != nil {
			return err
		}
		b, _ := json.Marshal(train.Result{Genotype: "g", TestAcc: acc, TestError: 100 - acc})
		return os.WriteFile(filepath.Join(t.Dir, runfolder.ResultFile), b, 0o644)
	}
	if err := os.WriteFile(filepath.Join(t.Dir, runfolder.GenotypeFile), []byte(fakeGenotype(n).String()+"\n"), 0o644); err != nil {
		return err
	}
	for _, name := range []string{runfolder.MetricsFile} {
		if err := os.WriteFile(filepath.Join(t.Dir, name), []byte(t.ID+"\n"), 0o644); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(search.Outcome{Method: t.Search.Method, Genotype: "g", ValidAcc: acc, ValidError: 100 - acc})
	return os.WriteFile(filepath.Join(t.Dir, runfolder.ResultFile), b, 0o644)
}

// fakeGenotype is a genotype of its own for each of the first 256 fake
// searches (n in base 4 picks the first four ops of the normal cell).
func fakeGenotype(n int) space.Genotype {
	g := space.DARTSV2
	g.Normal = slices.Clone(g.Normal)
	ops := []string{space.OpSepConv3x3, space.OpMaxPool3x3, space.OpSkipConnect, space.OpDilConv3x3}
	for k := range 4 {
		g.Normal[k].Op = ops[n%4]
		n /= 4
	}
	return g
}

func (f *fake) count(prefix string) int {
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

const small = `
out: out
spaces: [s2]
datasets: [cifar10]
methods: [darts, r-darts-l2]
seeds: [1, 2]
data: {cifar10: /d}
retrain: true
`

func TestLocalResume(t *testing.T) {
	dir := t.TempDir()
	f, err := Parse([]byte(small), dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Plan()
	if err != nil {
		t.Fatal(err)
	}
	total := len(p.All()) // 10 searches, 8 selections, 4 retrainings
	ctx, cancel := context.WithCancel(context.Background())
	// Workers take the latest stage first: search darts seed 1, its
	// retraining, then search darts seed 2, killed.
	fk := &fake{interruptAt: 3, cancel: cancel, retrainFrom: map[string]string{}}
	sum, err := Local{Workers: 1, Run: fk.run}.Execute(ctx, p)
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("killed run: %v", err)
	}
	if sum.Ran != 2 {
		t.Errorf("killed run finished %d tasks, want 2", sum.Ran)
	}
	killed := strings.TrimSuffix(fk.calls[2], " resume=false")
	if killed != "search/s2_cifar10_darts_seed2" || !slices.Equal(fk.calls[:2], []string{"search/s2_cifar10_darts_seed1 resume=false", "retrain/s2_cifar10_darts_seed1 resume=false"}) {
		t.Errorf("order of the killed run: %v", fk.calls)
	}
	if _, failed := p.Search[1].Failed(); failed {
		t.Errorf("an interrupted task was marked failed")
	}

	// The same command again: finishes the rest, repeats nothing finished,
	// resumes the interrupted task.
	fk2 := &fake{retrainFrom: map[string]string{}}
	sum, err = Local{Workers: 3, Run: fk2.run}.Execute(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	// R-DARTS(L2)'s 3e-4 member is the DARTS run of its seed: copied, not run.
	twins := 0
	for _, tk := range p.Search {
		if tk.Twin != nil {
			twins++
			if tk.Member != "wd0.0003" || tk.Twin.ID != strings.Replace(tk.ID, "r-darts-l2_wd0.0003", "darts", 1) {
				t.Errorf("%s has twin %s", tk.ID, tk.Twin.ID)
			}
		}
	}
	if twins != 2 {
		t.Errorf("%d twins, want 2", twins)
	}
	if len(fk2.calls) != total-2-twins || sum.Skipped != 2 || sum.Ran != total-2 {
		t.Errorf("second run: %d calls, %+v; want %d calls", len(fk2.calls), sum, total-2-twins)
	}
	twin, _ := p.Find(StageSearch, "s2_cifar10_r-darts-l2_wd0.0003_seed1")
	if c, err := search.LoadConfig(twin.Dir); err != nil || c.Member == nil || c.Member.Family != "l2" || c.Member.Value != 3e-4 {
		t.Errorf("the copied twin's settings: %+v, %v", c.Member, err)
	}
	if b, err := os.ReadFile(filepath.Join(twin.Dir, runfolder.MetricsFile)); err != nil || string(b) != "s2_cifar10_darts_seed1\n" {
		t.Errorf("the copied twin's metrics: %q, %v", b, err)
	}
	if !slices.Contains(fk2.calls, killed+" resume=true") {
		t.Errorf("%s not resumed: %v", killed, fk2.calls)
	}
	for _, c := range fk.calls[:2] {
		if fk2.count(strings.TrimSuffix(c, " resume=false")) > 0 {
			t.Errorf("finished task repeated: %s", c)
		}
	}
	for _, tk := range p.All() {
		if !tk.Done() {
			t.Errorf("%s %s not done", tk.Stage, tk.ID)
		}
	}
	// Selection: the R-DARTS retraining takes the best member of its seed.
	if got := fk2.retrainFrom["s2_cifar10_r-darts-l2_seed2"]; got != "s2_cifar10_r-darts-l2_wd0.0027_seed2" {
		t.Errorf("selected %q", got)
	}
	if got := fk2.retrainFrom["s2_cifar10_darts_seed2"]; got != "s2_cifar10_darts_seed2" {
		t.Errorf("darts retrain from %q", got)
	}
	col := p.Collect()
	if len(col) != 4 || col[2].Selected == nil || col[2].Selected.Member != "wd0.0027" || col[2].ValidAcc != 60 || col[2].Retrain == nil {
		t.Errorf("collect: %+v", col[2])
	}

	// A third run does nothing.
	fk3 := &fake{retrainFrom: map[string]string{}}
	if _, err := (Local{Workers: 2, Run: fk3.run}).Execute(context.Background(), p); err != nil || len(fk3.calls) != 0 {
		t.Errorf("third run: %v, calls %v", err, fk3.calls)
	}
}

func TestLocalFailureBlocksRetrain(t *testing.T) {
	dir := t.TempDir()
	f, _ := Parse([]byte(small), dir)
	p, _ := f.Plan()
	fk := &fake{failID: "s2_cifar10_r-darts-l2_wd0.0009_seed1", retrainFrom: map[string]string{}}
	sum, err := Local{Workers: 2, Run: fk.run}.Execute(context.Background(), p)
	if err == nil || sum.Failed != 1 || sum.Blocked != 2 { // its select task and the retraining
		t.Fatalf("summary %+v, err %v", sum, err)
	}
	if fk.count("retrain/s2_cifar10_r-darts-l2_seed1") != 0 {
		t.Errorf("retrain ran without all its searches")
	}
	var failed *Task
	for _, tk := range p.Search {
		if tk.ID == fk.failID {
			failed = tk
		}
	}
	if msg, ok := failed.Failed(); !ok || !strings.Contains(msg, "diverged") {
		t.Errorf("failed marker: %q %v", msg, ok)
	}
	st, _ := p.Status(context.Background(), nil)
	states := map[string]string{}
	for _, s := range st {
		states[s.Task.Stage+"/"+s.Task.ID] = s.State
	}
	if states["search/"+fk.failID] != StateFailed || states["retrain/s2_cifar10_r-darts-l2_seed1"] != StateNotStarted || states["search/s2_cifar10_darts_seed1"] != StateDone {
		t.Errorf("status %v", states)
	}
	// Fixed: the rerun runs the failed search and the blocked retraining only.
	fk2 := &fake{retrainFrom: map[string]string{}}
	if _, err := (Local{Workers: 2, Run: fk2.run}).Execute(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if len(fk2.calls) != 3 {
		t.Errorf("rerun calls %v", fk2.calls)
	}
	if _, ok := failed.Failed(); ok {
		t.Errorf("failed marker kept after success")
	}
}

// TestChangedSettings: a run folder whose settings differ from the grid
// file's is reported as changed (never finished), is not run, and
// --rerun-changed replaces it.
func TestChangedSettings(t *testing.T) {
	dir := t.TempDir()
	text := strings.Replace(small, "retrain: true", "search: {epochs: 4}", 1)
	f, _ := Parse([]byte(text), dir)
	p, _ := f.Plan()
	fk := &fake{retrainFrom: map[string]string{}}
	if _, err := (Local{Workers: 1, Run: fk.run}).Execute(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if ch, err := p.Search[0].Changes(); err != nil || len(ch) != 0 {
		t.Fatalf("unchanged: %v %v", ch, err)
	}
	f2, _ := Parse([]byte(strings.Replace(text, "epochs: 4", "epochs: 5", 1)), dir)
	p2, _ := f2.Plan()
	err := Attempt(context.Background(), p2.Search[0], func(context.Context, *Task, bool, bool) error { t.Error("ran"); return nil }, false)
	if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "--epochs (saved 4, given 5)") {
		t.Errorf("changed budget: %v", err)
	}
	st, _ := p2.Status(context.Background(), nil)
	if st[0].State != StateChanged || !strings.Contains(st[0].Detail, "--epochs") {
		t.Errorf("status %s (%s)", st[0].State, st[0].Detail)
	}
	fk2 := &fake{retrainFrom: map[string]string{}}
	sum, err := (Local{Workers: 1, Run: fk2.run}).Execute(context.Background(), p2)
	// The twins (R-DARTS' 3e-4 members) wait for the changed DARTS runs.
	if err == nil || sum.Changed != len(p2.Search)-2 || len(fk2.calls) != 0 {
		t.Errorf("without --rerun-changed: %+v, %v, calls %v", sum, err, fk2.calls)
	}
	fk3 := &fake{retrainFrom: map[string]string{}}
	sum, err = (Local{Workers: 1, Run: fk3.run, RerunChanged: true}).Execute(context.Background(), p2)
	if err != nil || sum.Ran != len(p2.Search) || !strings.HasSuffix(fk3.calls[0], "resume=false force") {
		t.Errorf("--rerun-changed: %+v, %v, calls %v", sum, err, fk3.calls)
	}
	if st, _ := p2.Status(context.Background(), nil); st[0].State != StateDone {
		t.Errorf("after the rerun: %s", st[0].State)
	}
}

// TestChangedProtocol: a finished retraining whose protocol differs from
// the grid file's train: section is reported as changed, not skipped, and
// --rerun-changed retrains it; the unchanged ones stay finished.
func TestChangedProtocol(t *testing.T) {
	dir := t.TempDir()
	text := strings.Replace(small, "retrain: true", "retrain: true\ntrain: {epochs: 3, init_channels: 16}", 1)
	f, _ := Parse([]byte(text), dir)
	p, _ := f.Plan()
	if _, err := (Local{Workers: 1, Run: (&fake{retrainFrom: map[string]string{}}).run}).Execute(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	r := p.Retrain[0]
	if ch, err := r.Changes(); err != nil || len(ch) != 0 {
		t.Fatalf("unchanged retraining: %v %v", ch, err)
	}
	c, err := train.ReadConfig(r.Dir)
	if err != nil || c.Channels != 16 || c.Epochs != 3 || c.GenotypeSource != filepath.Join(p.Search[0].Dir, runfolder.GenotypeFile) || c.Seed != 1 || c.Data != "/d" {
		t.Fatalf("retraining config %+v, %v", c, err)
	}
	f2, _ := Parse([]byte(strings.Replace(text, "init_channels: 16", "init_channels: 8", 1)), dir)
	p2, _ := f2.Plan()
	err = Attempt(context.Background(), p2.Retrain[0], func(context.Context, *Task, bool, bool) error { t.Error("ran"); return nil }, false)
	if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "--init-channels (saved 16, given 8)") {
		t.Errorf("changed protocol: %v", err)
	}
	fk := &fake{retrainFrom: map[string]string{}}
	sum, err := (Local{Workers: 1, Run: fk.run, RerunChanged: true}).Execute(context.Background(), p2)
	if err != nil || sum.Ran != len(p2.Retrain) || len(fk.calls) != len(p2.Retrain) || !strings.HasSuffix(fk.calls[0], "resume=false force") {
		t.Errorf("--rerun-changed: %+v, %v, calls %v", sum, err, fk.calls)
	}
	if c, err := train.ReadConfig(r.Dir); err != nil || c.Channels != 8 {
		t.Errorf("after the rerun: %+v, %v", c, err)
	}
	// The command line: the protocol goes in a config file, not as flags.
	args, err := (Exec{}).Args(p2.Retrain[0], true, false)
	if err != nil || !slices.Equal(args[:4], []string{"train", "--out", r.Dir, "--resume"}) || args[4] != "--config" {
		t.Fatalf("args %v, %v", args, err)
	}
	var written train.Config
	if b, err := os.ReadFile(args[5]); err != nil || json.Unmarshal(b, &written) != nil || written.Channels != 8 || written.GenotypeSource != filepath.Join(p2.Search[0].Dir, runfolder.GenotypeFile) {
		t.Errorf("config file %s: %+v, %v", args[5], written, err)
	}
}

// TestRetrainTwins: a retraining of the genotype an earlier retraining of
// its seed trains (here R-DARTS(L2) selecting its 3e-4 member, the DARTS
// run) waits for it and copies it instead of training again.
func TestRetrainTwins(t *testing.T) {
	dir := t.TempDir()
	f, _ := Parse([]byte(small+"select: {rule: oneshot}\n"), dir)
	p, _ := f.Plan()
	fk := &fake{retrainFrom: map[string]string{}}
	if _, err := (Local{Workers: 3, Run: fk.run}).Execute(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	l2, _ := p.Find(StageRetrain, "s2_cifar10_r-darts-l2_seed1")
	darts, _ := p.Find(StageRetrain, "s2_cifar10_darts_seed1")
	if fk.count("retrain/s2_cifar10_r-darts-l2") != 0 || fk.count("retrain/s2_cifar10_darts") != 2 {
		t.Errorf("calls %v", fk.calls)
	}
	if tw := l2.retrainTwin(); tw != darts {
		t.Fatalf("twin of %s: %v", l2.ID, tw)
	}
	for _, name := range []string{runfolder.ResultFile, runfolder.MetricsFile} {
		a, _ := os.ReadFile(filepath.Join(darts.Dir, name))
		b, err := os.ReadFile(filepath.Join(l2.Dir, name))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s: copy %q, %v; want %q", name, b, err, a)
		}
	}
	c, err := train.ReadConfig(l2.Dir)
	if err != nil || !strings.Contains(c.GenotypeSource, "r-darts-l2_wd0.0003_seed1") {
		t.Errorf("the copy's config: %+v, %v", c, err)
	}
	if ch, err := l2.Changes(); err != nil || len(ch) != 0 {
		t.Errorf("the copy reads as changed: %v %v", ch, err)
	}
}

func TestSlurmSubmit(t *testing.T) {
	dir := t.TempDir()
	f, _ := Parse([]byte(small), dir)
	f.Path = filepath.Join(dir, "grid.yaml")
	p, _ := f.Plan()
	// Finish one search: it is left out of the array.
	writeJSON(t, filepath.Join(p.Search[1].Dir, runfolder.ResultFile), search.Outcome{Method: "darts", Genotype: "g", ValidAcc: 1})
	// A fake sbatch that records its arguments and answers job ids.
	bin := filepath.Join(dir, "sbatch")
	os.WriteFile(bin, []byte("#!/bin/sh\necho \"$@\" >> "+dir+"/sbatch.args\nn=$(wc -l < "+dir+"/sbatch.args)\necho \"$((100+n));cluster\"\n"), 0o755)
	var out strings.Builder
	s := Slurm{Binary: "/opt/rdarts", Global: []string{"--backend", "fast"}, Partition: "cpu", Time: "1:00:00", CPUsPerTask: 4, Mem: "8G",
		MaxParallel: 5, Extra: []string{"--qos=long"}, Sbatch: bin}
	jobs, err := s.Submit(context.Background(), p, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 3 || jobs[0].JobID != "101" || jobs[1].Stage != StageSelect || jobs[2].JobID != "103" {
		t.Fatalf("jobs %+v", jobs)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "sbatch.args"))
	lines := strings.Split(strings.TrimSpace(string(args)), "\n")
	if !strings.HasPrefix(lines[0], "--parsable "+jobs[0].Script) || !strings.HasPrefix(lines[1], "--parsable --dependency=afterok:101 "+jobs[1].Script) ||
		!strings.HasPrefix(lines[2], "--parsable --dependency=afterok:102 "+jobs[2].Script) {
		t.Errorf("sbatch calls %q", lines)
	}
	script, _ := os.ReadFile(jobs[0].Script)
	for _, want := range []string{"#SBATCH --array=0,2-9%5\n", "#SBATCH --partition=cpu\n", "#SBATCH --time=1:00:00\n", "#SBATCH --cpus-per-task=4\n",
		"#SBATCH --mem=8G\n", "#SBATCH --qos=long\n", "  s2_cifar10_r-darts-l2_wd0.0003_seed1\n",
		`exec /opt/rdarts --threads "${SLURM_CPUS_PER_TASK:-1}" --backend fast grid task ` + f.Path + ` --stage search --id "${IDS[$SLURM_ARRAY_TASK_ID]}"`} {
		if !strings.Contains(string(script), want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	ids, _ := os.ReadFile(strings.TrimSuffix(jobs[0].Script, ".sh") + ".ids")
	if strings.Fields(string(ids))[2] != p.Search[2].ID {
		t.Errorf("ids file %q", ids)
	}
	recorded, err := p.Jobs()
	if err != nil || len(recorded) != 3 {
		t.Fatalf("jobs.jsonl: %v %v", recorded, err)
	}
	// Status from a fake queue.
	q := func(_ context.Context, ids []string) (map[string]string, error) {
		if !slices.Equal(ids, []string{"101", "102", "103"}) {
			t.Errorf("queried %v", ids)
		}
		return map[string]string{"101_0": "RUNNING", "101_2": "PENDING", "101_3": "TIMEOUT", "102_0": "PENDING", "103_0": "PENDING"}, nil
	}
	st, err := p.Status(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{StateRunning, StateDone, StatePending, StateFailed, StateNotStarted}
	for i, w := range want {
		if st[i].State != w {
			t.Errorf("task %d (%s): %s (%s), want %s", i, st[i].Task.ID, st[i].State, st[i].Detail, w)
		}
	}
	if st[len(p.Search)].State != StatePending {
		t.Errorf("select 0: %s", st[len(p.Search)].State)
	}
}

func TestParseJobID(t *testing.T) {
	for in, want := range map[string]string{"123\n": "123", "77;c1\n": "77", "sbatch: warning: x\n55\n": "55"} {
		if got, err := parseJobID([]byte(in)); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := parseJobID([]byte("sbatch: error: bad")); err == nil {
		t.Error("no error for an error message")
	}
}

func TestSpaceSeeds(t *testing.T) {
	text := strings.Replace(small, "seeds: [1, 2]", "spaces_placeholder", 1)
	text = strings.Replace(text, "spaces: [s2]", "spaces: [s2, s3]\nseeds: [1, 2]\nspace_seeds: {s3: [7]}", 1)
	text = strings.Replace(text, "spaces_placeholder", "", 1)
	f, err := Parse([]byte(text), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Plan()
	if err != nil {
		t.Fatal(err)
	}
	var s3 []string
	for _, tk := range p.Search {
		if tk.Space == "s3" {
			s3 = append(s3, tk.ID)
		}
	}
	if len(s3) != 5 || s3[0] != "s3_cifar10_darts_seed7" {
		t.Errorf("s3 tasks %v, want darts and 4 L2 members with seed 7 only", s3)
	}
	for _, bad := range []string{"space_seeds: {s9: [1]}", "space_seeds: {s2: []}", "space_seeds: {s2: [1, 1]}"} {
		if _, err := Parse([]byte(small+bad+"\n"), t.TempDir()); err == nil || !strings.Contains(err.Error(), "space_seeds") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestTwins: R-DARTS(L2)'s default-decay member and DARTS-ES (when its
// settings are DARTS') reuse the DARTS run of their seed; nothing else does.
func TestTwins(t *testing.T) {
	const text = `
out: out
spaces: [s2]
datasets: [cifar10]
methods: [darts, darts-es, r-darts-l2, r-darts-dp]
seeds: [1, 2]
data: {cifar10: /d}
`
	for _, tc := range []struct {
		search string
		want   []string
	}{
		{"search: {hessian_every: 2}\n", []string{"s2_cifar10_darts-es_seed1", "s2_cifar10_darts-es_seed2", "s2_cifar10_r-darts-l2_wd0.0003_seed1", "s2_cifar10_r-darts-l2_wd0.0003_seed2"}},
		// darts-es gets hessian_every 2 by itself, DARTS none: not the same run.
		{"", []string{"s2_cifar10_r-darts-l2_wd0.0003_seed1", "s2_cifar10_r-darts-l2_wd0.0003_seed2"}},
	} {
		p := plan(t, text+tc.search)
		var have []string
		for _, tk := range p.Search {
			if tk.Twin != nil {
				have = append(have, tk.ID)
				if want := "s2_cifar10_darts_seed" + fmt.Sprint(tk.Seed); tk.Twin.ID != want {
					t.Errorf("%s: twin %s, want %s", tk.ID, tk.Twin.ID, want)
				}
				if n := tk.Needs(); len(n) != 1 || n[0] != tk.Twin {
					t.Errorf("%s needs %v", tk.ID, n)
				}
			}
		}
		if !slices.Equal(have, tc.want) {
			t.Errorf("%q: twins %v, want %v", tc.search, have, tc.want)
		}
	}
}

// TestEitherSpelling: search, override, select and train settings may be
// written as config keys or as flag names, the DARTS-ES constants nested
// or prefixed; all reach the same fields.
func TestEitherSpelling(t *testing.T) {
	for _, text := range []string{`
out: /o
spaces: [s2]
datasets: [svhn]
methods: [darts-es, r-darts-l2]
seeds: [7]
data: {svhn: /d}
search: {init_channels: 8, batch_size: 32, es: {window: 3}}
overrides: [{method: darts-es, set: {weight_decay: 0.001}}]
select: {init_channels: 4}
retrain: true
train: {init_channels: 12, batch_size: 48}
`, `
out: /o
spaces: [s2]
datasets: [svhn]
methods: [darts-es, r-darts-l2]
seeds: [7]
data: {svhn: /d}
search: {init-channels: 8, batch-size: 32, es-window: 3}
overrides: [{method: darts-es, set: {weight-decay: 0.001}}]
select: {init-channels: 4}
retrain: true
train: {init-channels: 12, --batch-size: 48}
`} {
		p := plan(t, text)
		es := p.Search[0]
		if es.Search.Channels != 8 || es.Search.BatchSize != 32 || es.Search.ES.Window != 3 || es.Search.WeightDecay != 0.001 {
			t.Errorf("search settings %+v", es.Search)
		}
		if len(p.Select) == 0 || p.Select[0].Budget.Channels != 4 {
			t.Errorf("select budget: %+v", p.Select)
		}
		r := p.Retrain[0]
		if want := func() train.Config { c := train.Defaults(); c.Channels, c.BatchSize = 12, 48; return c }(); r.Train != want {
			t.Errorf("train flags %v", r.Train)
		}
	}
}

// TestCopyTwinProvenance: a twin's copy carries the twin's provenance
// records (the builds that computed it); a twin without them is copied
// all the same.
func TestCopyTwinProvenance(t *testing.T) {
	for _, withProv := range []bool{true, false} {
		base := t.TempDir()
		twin := &Task{ID: "twin", Dir: filepath.Join(base, "twin"), Search: search.Defaults()}
		os.MkdirAll(twin.Dir, 0o755)
		files := map[string]string{runfolder.MetricsFile: "{}\n", runfolder.GenotypeFile: "g\n", runfolder.ResultFile: "{}\n"}
		if withProv {
			files[runfolder.ProvenanceFile] = "{\"backend\":\"fast\"}\n"
		}
		for name, text := range files {
			os.WriteFile(filepath.Join(twin.Dir, name), []byte(text), 0o644)
		}
		task := &Task{ID: "copy", Dir: filepath.Join(base, "copy"), Search: search.Defaults(), Twin: twin}
		if err := task.copyTwin(false); err != nil {
			t.Fatal(err)
		}
		for name, text := range files {
			if b, err := os.ReadFile(filepath.Join(task.Dir, name)); err != nil || string(b) != text {
				t.Errorf("%s: %q %v", name, b, err)
			}
		}
		if _, err := os.Stat(filepath.Join(task.Dir, runfolder.ProvenanceFile)); withProv != (err == nil) {
			t.Errorf("provenance copied: %v, twin had it: %v", err == nil, withProv)
		}
	}
}
