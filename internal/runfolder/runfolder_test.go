package runfolder

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWritesAndReaders(t *testing.T) {
	f, err := Acquire(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	type st struct{ A []float32 }
	if err := f.SaveGob("c.gob", st{A: []float32{1, 2}}); err != nil {
		t.Fatal(err)
	}
	var got st
	if err := LoadGob(f.Path("c.gob"), "test", &got); err != nil || len(got.A) != 2 || got.A[1] != 2 {
		t.Fatalf("%+v %v", got, err)
	}
	os.WriteFile(f.Path("c.gob"), []byte("junk"), 0o644)
	if err := LoadGob(f.Path("c.gob"), "test", &got); err == nil || !strings.Contains(err.Error(), "not an rdarts test checkpoint") {
		t.Errorf("damaged checkpoint: %v", err)
	}
	if err := WriteJSONL(f, "m.jsonl", []int{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(f.Path("m.jsonl")); string(b) != "1\n2\n3\n" {
		t.Errorf("jsonl %q", b)
	}
	if xs, err := ReadJSONL[int](f.Path("m.jsonl")); err != nil || len(xs) != 3 || xs[2] != 3 {
		t.Errorf("read back %v, %v", xs, err)
	}
	// A value JSON cannot hold is an error naming the file, and the old
	// file stays whole.
	if err := f.WriteJSON("m.jsonl", map[string]float64{"x": math.NaN()}); err == nil || !strings.Contains(err.Error(), "m.jsonl") {
		t.Errorf("NaN written: %v", err)
	}
	if err := WriteJSONL(f, "m.jsonl", []float64{math.Inf(1)}); err == nil || !strings.Contains(err.Error(), "record 1") {
		t.Errorf("Inf written: %v", err)
	}
	if b, _ := os.ReadFile(f.Path("m.jsonl")); string(b) != "1\n2\n3\n" {
		t.Errorf("jsonl after failed writes %q", b)
	}
	// Strict JSON: unknown fields and trailing data are errors.
	var cfg struct{ A int }
	os.WriteFile(f.Path("c.json"), []byte(`{"A": 1, "B": 2}`), 0o644)
	if err := ReadJSON(f.Path("c.json"), &cfg); err == nil || !strings.Contains(err.Error(), "c.json") {
		t.Errorf("unknown field accepted: %v", err)
	}
	os.WriteFile(f.Path("c.json"), []byte(`{"A": 1} {}`), 0o644)
	if err := ReadJSON(f.Path("c.json"), &cfg); err == nil {
		t.Error("trailing data accepted")
	}
}

func TestJSONLDamagedLines(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.jsonl")
	os.WriteFile(p, []byte("1\n2\n{\"a\n"), 0o644)
	if _, err := ReadJSONL[int](p); err == nil || !strings.Contains(err.Error(), "m.jsonl line 3") {
		t.Errorf("torn last line: %v", err)
	}
	os.WriteFile(p, []byte("1\nx\n3\n"), 0o644)
	if _, err := ReadJSONL[int](p); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad middle line: %v", err)
	}
}

func FuzzDecodeJSONL(f *testing.F) {
	f.Add([]byte("{\"epoch\": 1}\n{\"epoch\": 2}\n"))
	f.Add([]byte("\n\n{"))
	f.Add([]byte("{\"epoch\": 1e400}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		type rec struct {
			Epoch int      `json:"epoch"`
			EV    *float64 `json:"ev"`
		}
		DecodeJSONL[rec]("fuzz", strings.NewReader(string(b))) // must not panic
		var r rec
		DecodeJSON("fuzz", b, &r)
	})
}

func TestLockOnePerFolder(t *testing.T) {
	dir := t.TempDir()
	a, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir)
	if err == nil || !strings.Contains(err.Error(), "in use by process "+strconv.Itoa(os.Getpid())) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second lock: %v", err)
	}
	a.Release()
	b, err := Acquire(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	b.Release()
}

// TestStaleLockTakenOver: the lock of a killed process is free again.
func TestStaleLockTakenOver(t *testing.T) {
	if dir := os.Getenv("RDARTS_LOCK_CHILD"); dir != "" {
		if _, err := Acquire(dir); err != nil {
			os.Exit(3)
		}
		os.WriteFile(filepath.Join(dir, "held"), nil, 0o644)
		time.Sleep(time.Minute)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStaleLockTakenOver$")
	cmd.Env = append(os.Environ(), "RDARTS_LOCK_CHILD="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "held")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child did not take the lock")
		}
	}
	if _, err := Acquire(dir); err == nil || !strings.Contains(err.Error(), strconv.Itoa(cmd.Process.Pid)) {
		t.Errorf("lock held by the child: %v", err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	f, err := Acquire(dir)
	if err != nil {
		t.Fatalf("stale lock not taken over: %v", err)
	}
	f.Release()
}

func TestBeginRules(t *testing.T) {
	type cfg struct {
		Epochs int     `json:"epochs"`
		LR     float64 `json:"lr"`
		ES     struct {
			Factor float64 `json:"factor"`
		} `json:"es"`
	}
	dir := filepath.Join(t.TempDir(), "run")
	c := cfg{Epochs: 3, LR: 0.1}
	saved := func() (any, error) {
		var s cfg
		return s, ReadJSON(filepath.Join(dir, ConfigFile), &s)
	}
	if _, _, err := Begin(dir, c, true, false, saved); err == nil || !strings.Contains(err.Error(), "holds no run") {
		t.Errorf("resume of nothing: %v", err)
	}
	f, fromCk, err := Begin(dir, c, false, false, saved)
	if err != nil || fromCk {
		t.Fatal(err)
	}
	f.Release()
	// The same settings resume (without a checkpoint: from epoch 0).
	f, fromCk, err = Begin(dir, c, true, false, saved)
	if err != nil || fromCk {
		t.Fatalf("resume: %v %v", fromCk, err)
	}
	f.SaveGob(CheckpointFile, 1)
	f.Release()
	if f, fromCk, err = Begin(dir, c, true, false, saved); err != nil || !fromCk {
		t.Fatalf("resume with checkpoint: %v %v", fromCk, err)
	}
	f.Release()
	// Changed settings are refused, naming each flag with both values.
	d := c
	d.Epochs, d.ES.Factor = 5, 1.3
	_, _, err = Begin(dir, d, true, false, saved)
	if err == nil || !strings.Contains(err.Error(), "--epochs (saved 3, given 5)") || !strings.Contains(err.Error(), "--es-factor (saved 0, given 1.3)") {
		t.Errorf("changed settings: %v", err)
	}
	// A new run never replaces one without force, even without a checkpoint.
	os.Remove(filepath.Join(dir, CheckpointFile))
	os.WriteFile(filepath.Join(dir, ResultFile), []byte("{}"), 0o644)
	if _, _, err := Begin(dir, c, false, false, saved); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("overwrite: %v", err)
	}
	os.WriteFile(filepath.Join(dir, EpochCheckpoint(3)), nil, 0o644)
	os.WriteFile(filepath.Join(dir, ".result.json.tmp123"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644)
	f, _, err = Begin(dir, d, false, true, saved)
	if err != nil {
		t.Fatal(err)
	}
	f.Release()
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != ".lock config.json notes.txt" {
		t.Errorf("after --force: %v", names)
	}
}

func TestFaultHook(t *testing.T) {
	f, _ := Acquire(t.TempDir())
	defer f.Release()
	full := errors.New("no space left on device")
	defer SetFaultHook(func(name string, after bool) error {
		if name == "a" && !after {
			return full
		}
		return nil
	})()
	if err := f.Write("a", []byte("x")); !errors.Is(err, full) {
		t.Errorf("hook error: %v", err)
	}
	if _, err := os.Stat(f.Path("a")); err == nil {
		t.Error("file written despite the failure before it")
	}
	if err := f.Write("b", []byte("x")); err != nil {
		t.Error(err)
	}
}

func TestFiniteAndDiff(t *testing.T) {
	type es struct {
		Factor float64 `json:"factor"`
	}
	type cfg struct {
		LR   float64   `json:"lr"`
		Grid []float64 `json:"l2_grid"`
		ES   es        `json:"es"`
		P    *es       `json:"p,omitempty"`
	}
	if err := Finite(cfg{LR: 1, ES: es{2}}); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		v    cfg
		want string
	}{
		{cfg{LR: math.NaN()}, "lr: must be a finite number, have NaN"},
		{cfg{ES: es{math.Inf(1)}}, "es-factor: must be a finite number, have +Inf"},
		{cfg{Grid: []float64{1, math.Inf(-1)}}, "l2-grid: must be a finite number, have -Inf"},
		{cfg{P: &es{math.NaN()}}, "p-factor:"},
	} {
		if err := Finite(c.v); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.v, err, c.want)
		}
	}
	ch, err := Diff(cfg{LR: 1, ES: es{2}}, cfg{LR: 1, ES: es{3}})
	if err != nil || len(ch) != 1 || ch[0].String() != "--es-factor (saved 2, given 3)" {
		t.Errorf("diff %v, %v", ch, err)
	}
}

type fakeJob struct {
	pos    Position
	epochs int
	steps  int
	seen   []int
	ends   []int
	cps    int
	fail   error
}

func (j *fakeJob) Pos() *Position    { return &j.pos }
func (j *fakeJob) Epochs() int       { return j.epochs }
func (j *fakeJob) Checkpoint() error { j.cps++; return nil }
func (j *fakeJob) EndEpoch(e int) error {
	j.ends = append(j.ends, e)
	j.pos.Epoch, j.pos.Step, j.pos.Sums = e+1, 0, Sums{}
	return nil
}
func (j *fakeJob) Epoch(e int) (int, func(int) (float64, int, int, error), func()) {
	return j.steps, func(i int) (float64, int, int, error) {
		j.seen = append(j.seen, e*100+i)
		return 1, 1, 2, j.fail
	}, func() {}
}

func TestLoopBudgetResumeAndCancel(t *testing.T) {
	j := &fakeJob{epochs: 2, steps: 3}
	if err := (Loop{StopAfter: 4}).Run(context.Background(), j); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("budget: %v", err)
	}
	if j.pos.Epoch != 1 || j.pos.Step != 1 || j.cps != 1 || j.pos.Sums.N != 2 {
		t.Fatalf("after 4 steps: %+v, %d checkpoints", j.pos, j.cps)
	}
	if err := (Loop{}).Run(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	want := []int{0, 1, 2, 100, 101, 102}
	if len(j.seen) != len(want) || j.seen[3] != 100 || j.seen[5] != 102 || len(j.ends) != 2 {
		t.Errorf("steps %v, ends %v", j.seen, j.ends)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	k := &fakeJob{epochs: 2, steps: 3}
	if err := (Loop{}).Run(ctx, k); !errors.Is(err, ErrInterrupted) || len(k.seen) != 0 {
		t.Errorf("cancelled: %v, ran %v", err, k.seen)
	}
	boom := errors.New("boom")
	k = &fakeJob{epochs: 1, steps: 3, fail: boom}
	if err := (Loop{}).Run(context.Background(), k); err != boom || k.pos.Step != 0 {
		t.Errorf("error %v at step %d", err, k.pos.Step)
	}
}

func TestSums(t *testing.T) {
	var s Sums
	s.Add(2, 3, 4, 1) // 4 images, mean loss 2
	s.Add(1, 1, 4, 1) // 4 images, mean loss 1
	if s.MeanLoss() != 1.5 || s.Accuracy() != 50 || s.Seconds != 2 {
		t.Errorf("%+v: loss %v acc %v", s, s.MeanLoss(), s.Accuracy())
	}
}

func TestCheckMemory(t *testing.T) {
	memoryLimit = 8 << 30
	defer func() { memoryLimit = 0 }()
	if err := CheckMemory(4<<30, "x"); err != nil {
		t.Error(err)
	}
	err := CheckMemory(1e15, "the one-shot network (--layers 100000)")
	if err == nil || !strings.Contains(err.Error(), "--layers 100000") || !strings.Contains(err.Error(), "8.0 GiB") {
		t.Errorf("%v", err)
	}
}

// TestAppendJSONL: lines accumulate, a last line without its newline gets
// one, and a forced new run clears the provenance with the other files.
func TestAppendJSONL(t *testing.T) {
	dir := t.TempDir()
	f, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	os.WriteFile(f.Path(ProvenanceFile), []byte(`{"n":1}`), 0o644)
	for _, n := range []int{2, 3} {
		if err := f.AppendJSONL(ProvenanceFile, map[string]int{"n": n}); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(f.Path(ProvenanceFile))
	if string(b) != "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n" {
		t.Errorf("file %q", b)
	}
	if err := f.AppendJSONL(ProvenanceFile, math.NaN()); err == nil || !strings.Contains(err.Error(), ProvenanceFile) {
		t.Errorf("NaN record: %v", err)
	}
	if !HasRun(dir) {
		t.Error("a folder with provenance records holds no run")
	}
	if err := f.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.Path(ProvenanceFile)); err == nil {
		t.Error("Clear kept provenance.jsonl")
	}
}
