package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/search"
)

// writeRunFolder writes a minimal finished search run folder by hand (the
// report package's tests use real runs).
func writeRunFolder(t *testing.T, dir string, seed uint64, validAcc float64) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	cfg := search.Defaults()
	cfg.Dataset, cfg.Space, cfg.Seed, cfg.Epochs, cfg.HessianEvery = "cifar10", "s2", seed, 2, 1
	b, _ := json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
	g := "Genotype(normal=[('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1)], normal_concat=range(2, 6), reduce=[('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1)], reduce_concat=range(2, 6))"
	alpha := make([][]float64, 14)
	for i := range alpha {
		alpha[i] = []float64{0.6, 0.4}
	}
	var lines []byte
	for e := range 2 {
		ev := 0.1 * float64(e+1)
		m := search.Metrics{Epoch: e, LR: 0.025, WeightDecay: 3e-4, TrainLoss: 2, TrainAcc: 20, ValidLoss: 2, ValidAcc: validAcc,
			Genotype: g, AlphaNormal: alpha, AlphaReduce: alpha, EV: &ev}
		l, _ := json.Marshal(m)
		lines = append(append(lines, l...), '\n')
	}
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"), lines, 0o644)
	res, _ := json.Marshal(map[string]any{"method": "darts", "epoch": 1, "genotype": g, "valid_acc": validAcc, "valid_error": 100 - validAcc})
	os.WriteFile(filepath.Join(dir, "result.json"), res, 0o644)
}

// reportCLI runs a command line and returns its output and exit status
// as run would.
func reportCLI(args []string) (stdout, stderr string, code int) {
	var so, se bytes.Buffer
	root := newRoot(&globals{stdout: &so, stderr: &se})
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		fmt.Fprintln(&se, "rdarts:", err)
		code = 1
		var ue usageError
		if errors.As(err, &ue) || isFlagError(err) {
			code = 2
		}
	}
	return so.String(), se.String(), code
}

func TestReportCommand(t *testing.T) {
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	writeRunFolder(t, a, 1, 90)
	writeRunFolder(t, b, 2, 80)
	missing := filepath.Join(base, "missing")
	out := filepath.Join(base, "rep")
	for _, tc := range []struct {
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{[]string{"report", a, b, "--format", "text"}, 0, []string{"DARTS", "15.00 ± 7.07", "4.85", "4.42 ± 0.40"}, nil},
		{[]string{"report", a, b, "--format", "csv"}, 0, []string{"space,dataset,method", "s2,cifar10,DARTS,,2,1 2,15,"}, nil},
		{[]string{"report", a, "--format", "json"}, 0, []string{`"valid_error_mean": 10`, `"paper_test_error": 4.85`}, nil},
		{[]string{"report", a, missing, "--out", out, "--dot", "none"}, 0, []string{"index.html (1 runs, 2 warnings)"}, []string{missing}},
		{[]string{"report", missing}, 1, nil, []string{missing, "none of the 1 folders"}},
		{[]string{"report", a, "--format", "pdf"}, 2, nil, []string{"--format"}},
		{[]string{"report"}, 2, nil, []string{"requires at least 1 arg"}},
	} {
		so, se, code := reportCLI(tc.args)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\nstdout %s\nstderr %s", tc.args, code, tc.code, so, se)
		}
		for _, s := range tc.stdout {
			if !strings.Contains(so, s) {
				t.Errorf("%v: stdout lacks %q:\n%s", tc.args, s, so)
			}
		}
		for _, s := range tc.stderr {
			if !strings.Contains(se, s) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, s, se)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(out, "img")); err != nil {
		t.Error(err)
	}
}
