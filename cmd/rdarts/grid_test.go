package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdarts/rdarts/train"
)

// buildRdarts builds this command into dir: grid tasks run as subprocesses.
func buildRdarts(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "rdarts")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb}
	root := newRoot(g)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errb.String(), err
}

// A real grid of two tiny searches on the fixture data: both finish, and a
// second grid run repeats nothing.
func TestGridLocalEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rdarts and runs two searches")
	}
	dir := t.TempDir()
	bin := buildRdarts(t, dir)
	data, _ := filepath.Abs("../../data/testdata/fashion-mnist")
	file := filepath.Join(dir, "grid.yaml")
	os.WriteFile(file, []byte(`
out: out
spaces: [s2, s3]
datasets: [fashion-mnist]
methods: [darts]
seeds: [1]
data: {fashion-mnist: `+data+`}
search: {epochs: 1, layers: 2, init_channels: 4, batch_size: 16, order: 1}
`), 0o644)

	out, _, err := runCLI(t, "grid", "plan", file)
	if err != nil || !strings.Contains(out, "s2_fashion-mnist_darts_seed1") || !strings.Contains(out, "2 search tasks, 0 select tasks, 0 retrain tasks") {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	out, errs, err := runCLI(t, "--backend", "purego", "--threads", "2", "grid", "run", file, "--local", "--workers", "2", "--rdarts", bin)
	if err != nil {
		t.Fatalf("grid run: %v\n%s\n%s", err, out, errs)
	}
	if !strings.Contains(out, "2 ran, 0 already finished") {
		t.Errorf("first run: %s", out)
	}
	mtimes := map[string]time.Time{}
	for _, id := range []string{"s2_fashion-mnist_darts_seed1", "s3_fashion-mnist_darts_seed1"} {
		run := filepath.Join(dir, "out", "search", id)
		for _, f := range []string{"config.json", "metrics.jsonl", "genotype.txt", "result.json"} {
			st, err := os.Stat(filepath.Join(run, f))
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			mtimes[filepath.Join(id, f)] = st.ModTime()
		}
		log, _ := os.ReadFile(filepath.Join(dir, "out", "logs", "search", id+".log"))
		if !strings.Contains(string(log), "--threads 1 --backend purego search --out "+run) {
			t.Errorf("%s log lacks the command line (--threads 2 cores / 2 workers = 1):\n%s", id, firstLine(string(log)))
		}
	}
	out, _, err = runCLI(t, "grid", "run", file, "--local", "--workers", "2", "--rdarts", bin)
	if err != nil || !strings.Contains(out, "0 ran, 2 already finished") {
		t.Errorf("second run: %v %s", err, out)
	}
	for f, m := range mtimes {
		if st, _ := os.Stat(filepath.Join(dir, "out", "search", f)); !st.ModTime().Equal(m) {
			t.Errorf("%s rewritten by the second run", f)
		}
	}
	out, _, err = runCLI(t, "grid", "status", file)
	if err != nil || !strings.Contains(out, "2 tasks: 2 done") {
		t.Errorf("status: %v %s", err, out)
	}
	out, _, err = runCLI(t, "grid", "collect", file)
	if err != nil || strings.Count(out, "1/1") != 2 {
		t.Errorf("collect: %v %s", err, out)
	}
}

// TestGridRDARTSEndToEnd: R-DARTS(DP) with two members through real
// processes: each member's selection retraining scores it on the search's
// α images, the retraining takes the best-scoring member, and a grid file
// whose budget changed shows the runs as changed until --rerun-changed.
func TestGridRDARTSEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rdarts and runs searches and trainings")
	}
	dir := t.TempDir()
	bin := buildRdarts(t, dir)
	data, _ := filepath.Abs("../../data/testdata/fashion-mnist")
	text := `
out: out
spaces: [s2]
datasets: [fashion-mnist]
methods: [r-darts-dp]
dp_grid: [0, 0.4]
seeds: [1]
data: {fashion-mnist: ` + data + `}
search: {epochs: 1, layers: 2, init_channels: 4, batch_size: 16, order: 1}
select: {epochs: 1, layers: 2, init_channels: 4, batch_size: 16}
retrain: true
train: {epochs: 1, layers: 2, init_channels: 4, batch_size: 16}
`
	file := filepath.Join(dir, "grid.yaml")
	os.WriteFile(file, []byte(text), 0o644)
	out, errs, err := runCLI(t, "--backend", "purego", "grid", "run", file, "--local", "--rdarts", bin)
	if err != nil || !strings.Contains(out, "5 ran") {
		t.Fatalf("grid run: %v\n%s\n%s", err, out, errs)
	}
	best, bestAcc := "", -1.0
	for _, m := range []string{"dp0", "dp0.4"} {
		id := "s2_fashion-mnist_r-darts-dp_" + m + "_seed1"
		res, err := train.ReadResult(filepath.Join(dir, "out", "select", id))
		if err != nil || res.EvalSet != "train[100:200]" {
			t.Fatalf("select %s: %+v %v", id, res, err)
		}
		if res.TestAcc > bestAcc {
			best, bestAcc = id, res.TestAcc
		}
	}
	rc, err := train.ReadConfig(filepath.Join(dir, "out", "retrain", "s2_fashion-mnist_r-darts-dp_seed1"))
	if err != nil || rc.GenotypeSource != filepath.Join(dir, "out", "search", best, "genotype.txt") {
		t.Errorf("retrained %q, want the best-scoring member %s (%v)", rc.GenotypeSource, best, err)
	}
	os.WriteFile(file, []byte(strings.Replace(text, "select: {epochs: 1", "select: {epochs: 2", 1)), 0o644)
	out, _, err = runCLI(t, "grid", "status", file, "--no-slurm")
	if err != nil || !strings.Contains(out, "2 changed") {
		t.Errorf("status after the budget changed: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, "--backend", "purego", "grid", "run", file, "--local", "--rdarts", bin)
	if err == nil || !strings.Contains(out, "2 changed") {
		t.Errorf("run without --rerun-changed: %v\n%s", err, out)
	}
	out, errs, err = runCLI(t, "--backend", "purego", "grid", "run", file, "--local", "--rerun-changed", "--rdarts", bin)
	if err != nil || !strings.Contains(out, "2 ran") {
		t.Errorf("--rerun-changed: %v\n%s\n%s", err, out, errs)
	}
}

func TestGridUsageErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "g.yaml")
	os.WriteFile(file, []byte("out: o\nspaces: [s2]\ndatasets: [cifar10]\nmethods: [darts]\nseeds: [1]\ndata: {cifar10: /d}\nsearch: {epoch: 2}\n"), 0o644)
	trainFile := filepath.Join(dir, "t.yaml")
	os.WriteFile(trainFile, []byte("out: o\nspaces: [s2]\ndatasets: [cifar10]\nmethods: [darts]\nseeds: [1]\ndata: {cifar10: /d}\nretrain: true\ntrain:\n  init_chanels: 2\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"grid", "plan", file}, file + ": line 7: search.epoch: not a search setting"},
		{[]string{"grid", "plan", trainFile}, trainFile + ": line 9: train.init_chanels: not a setting of rdarts train"},
		{[]string{"grid", "plan", filepath.Join(dir, "none.yaml")}, "no such file"},
		{[]string{"grid", "run", file}, "exactly one of --local and --slurm"},
		{[]string{"grid", "task", file}, "exactly one of --id and --index"},
	} {
		_, _, err := runCLI(t, c.args...)
		var ue usageError
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		} else if !errors.As(err, &ue) {
			t.Errorf("%v: %v is not a usage error", c.args, err)
		}
	}
}
