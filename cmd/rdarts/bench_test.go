package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func benchCLI(args []string) (stdout, stderr string, code int) {
	var so, se bytes.Buffer
	root := newRoot(&globals{stdout: &so, stderr: &se})
	root.SetArgs(args)
	err := root.Execute()
	code = 0
	if err != nil {
		se.WriteString(err.Error())
		code = 1
	}
	return so.String(), se.String(), code
}

// TestBenchSmoke runs `rdarts bench` at the tiny size: a table on stdout
// and a JSON report with one result per item.
func TestBenchSmoke(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	so, se, code := benchCLI([]string{"bench", "-q", "--threads", "1", "--sizes", "tiny", "--spaces", "s2",
		"--items", "search1,search2,eval,eigen", "--exact", "--steps", "1", "--json", out})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, se)
	}
	for _, want := range []string{"search1", "search2", "eval", "eigen", "exact", "GFLOPS", "% SGEMM", "peak RSS MB", "ev "} {
		if !strings.Contains(so, want) {
			t.Errorf("table lacks %q:\n%s", want, so)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep benchReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 5 || rep.Machine.Threads != 1 {
		t.Errorf("report: %d results, %d threads; want 5 and 1", len(rep.Results), rep.Machine.Threads)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--sizes", "huge"},
		{"bench", "--items", "search3"},
		{"bench", "--steps", "0"},
	} {
		if _, _, code := benchCLI(args); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}

// TestBenchRNN times the recurrent space's items at the tiny size: rows in
// the same table, a tokens/s line each, and exact refused naming the space.
func TestBenchRNN(t *testing.T) {
	so, se, code := benchCLI([]string{"bench", "-q", "--threads", "1", "--sizes", "tiny", "--spaces", "rnn",
		"--items", "search1,search2,eval,eigen", "--steps", "1"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, se)
	}
	for _, want := range []string{"rnn", "search1", "search2", "eval", "eigen", "tokens/s", "ev "} {
		if !strings.Contains(so, want) {
			t.Errorf("table lacks %q:\n%s", want, so)
		}
	}
	if strings.Count(so, "tokens/s") != 3 {
		t.Errorf("want a tokens/s line for search1, search2 and eval:\n%s", so)
	}
	if _, se, code := benchCLI([]string{"bench", "-q", "--sizes", "tiny", "--spaces", "rnn", "--items", "exact"}); code == 0 || !strings.Contains(se, "recurrent") {
		t.Errorf("exact on rnn: exit %d, %s", code, se)
	}
}
