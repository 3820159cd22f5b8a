package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTextCorpus converts a small repeated text into a PTB-format folder.
func writeTextCorpus(t *testing.T, dir string) string {
	t.Helper()
	var text strings.Builder
	words := []string{"the cat sees food", "a dog likes the water", "birds eat small fish", "the big bird sees a dog"}
	for i := 0; i < 700; i++ {
		text.WriteString(words[(i*7)%4] + ". ")
	}
	in := filepath.Join(dir, "in.txt")
	os.WriteFile(in, []byte(text.String()), 0o644)
	data := filepath.Join(dir, "corpus")
	if _, _, err := runCLI(t, "data", "ptb-from-text", "--in", in, "--out", data); err != nil {
		t.Fatal(err)
	}
	return data
}

// tinyRNN are the flags of a tiny recurrent search.
func tinyRNN(data string) []string {
	return []string{"--space", "rnn", "--data", data, "--epochs", "1", "--hidden", "8", "--batch-size", "8", "--eval-batch", "4", "--bptt", "6", "--quiet"}
}

func TestSearchRNN(t *testing.T) {
	dir := t.TempDir()
	data := writeTextCorpus(t, dir)
	out := filepath.Join(dir, "run")
	stdout, _, err := runCLI(t, append([]string{"search", "--out", out}, tinyRNN(data)...)...)
	if err != nil || !strings.Contains(stdout, "Genotype(recurrent=[") {
		t.Fatalf("%v: %s", err, stdout)
	}
	// Resuming a finished run is accepted and changes nothing; a changed flag is refused.
	if _, _, err := runCLI(t, "search", "--out", out, "--resume", "--quiet"); err != nil {
		t.Errorf("resume: %v", err)
	}
	if _, _, err := runCLI(t, "search", "--out", out, "--resume", "--lr", "3"); err == nil || !strings.Contains(err.Error(), "lr") {
		t.Errorf("changed lr on resume: %v", err)
	}
	// Its genotype retrains with rdarts train; the run folder is recognised.
	tr := filepath.Join(dir, "train")
	stdout, _, err = runCLI(t, "train", "--genotype", out, "--data", data, "--epochs", "2", "--hidden", "8",
		"--batch-size", "8", "--bptt", "6", "--test-batch", "2", "--out", tr, "--quiet")
	if err != nil || !strings.Contains(stdout, "test ppl") {
		t.Fatalf("train: %v: %s", err, stdout)
	}
	if stdout2, _, err := runCLI(t, "train", "--out", tr, "--resume", "--quiet"); err != nil || stdout2 != stdout {
		t.Errorf("train --resume of a finished run: %v: %q, want %q", err, stdout2, stdout)
	}
	// A config file naming the space runs the same search.
	cfgFile := filepath.Join(dir, "rnn.yaml")
	os.WriteFile(cfgFile, []byte("space: rnn\ndata: "+data+"\nepochs: 1\nhidden: 8\nbatch_size: 8\neval_batch: 4\nbptt: 6\n"), 0o644)
	fromFile := filepath.Join(dir, "from-file")
	if _, _, err := runCLI(t, "search", "--config", cfgFile, "--out", fromFile, "--quiet"); err != nil {
		t.Fatalf("--config: %v", err)
	}
	a, _ := os.ReadFile(filepath.Join(out, "genotype.txt"))
	b, _ := os.ReadFile(filepath.Join(fromFile, "genotype.txt"))
	if string(a) != string(b) {
		t.Errorf("the config file's search answered %s, the flags' %s", b, a)
	}
	os.WriteFile(cfgFile, []byte("space: rnn\nlayers: 3\n"), 0o644)
	if _, _, err := runCLI(t, "search", "--config", cfgFile, "--out", filepath.Join(dir, "bad")); err == nil || !strings.Contains(err.Error(), "layers") {
		t.Errorf("a convolutional key in a recurrent config: %v", err)
	}
	// Commands for convolutional searches refuse it in one line.
	for _, args := range [][]string{{"hessian", out}, {"analyze", "es", out}, {"analyze", "drop", out}} {
		if _, _, err := runCLI(t, args...); err == nil || !strings.Contains(err.Error(), "a recurrent run") {
			t.Errorf("%v: %v", args, err)
		}
	}
	// The report renders both folders, with the paper's PTB row.
	text, _, err := runCLI(t, "report", out, tr, "--format", "text")
	if err != nil || !strings.Contains(text, "58.64") || !strings.Contains(text, "57.59") || !strings.Contains(text, out) {
		t.Errorf("report --format text: %v:\n%s", err, text)
	}
	html := filepath.Join(dir, "report")
	if _, _, err := runCLI(t, "report", out, tr, "--out", html, "--dot", "none"); err != nil {
		t.Fatalf("report: %v", err)
	}
	for _, f := range []string{"index.html", "run/index.html", "run/img/perplexity.png", "run/cell.svg"} {
		if _, err := os.Stat(filepath.Join(html, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestSpaceFlagErrors(t *testing.T) {
	dir := t.TempDir()
	data := writeTextCorpus(t, dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{append([]string{"search", "--out", filepath.Join(dir, "a"), "--layers", "3"}, tinyRNN(data)...), "--layers: not a setting of the recurrent space"},
		{append([]string{"search", "--out", filepath.Join(dir, "a"), "--order", "3"}, tinyRNN(data)...), "--order"},
		{[]string{"search", "--space", "s2", "--hidden", "8", "--out", filepath.Join(dir, "b")}, "--hidden: not a setting of the convolutional spaces"},
		{[]string{"train", "--genotype", "DARTS_V2", "--data", data, "--init-channels", "8"}, "--init-channels: not a setting of the recurrent space"},
		{[]string{"train", "--genotype", "Genotype(recurrent=[('none', 0)], concat=[1])", "--data", data}, "--genotype"},
		{[]string{"train", "--genotype", "nonsense", "--data", data}, "--genotype"},
		{[]string{"robust", "--space", "rnn", "--kind", "dp", "--data", data}, "--kind"},
		{[]string{"search", "--space", "rnn", "--hidden", "8", "--resume", "--out", filepath.Join(dir, "none")}, "--resume"},
		{[]string{"train", "--genotype", "DARTS_V2", "--data", data, "--hidden", "0"}, "--hidden: must be at least 1"},
		{[]string{"bench", "--spaces", "rnn", "--items", "exact"}, "--items: exact is not measured on the recurrent space"},
		{[]string{"robust", "--space", "rnn", "--data", data, "--select-layers", "3"}, "--select-layers: not a setting of the recurrent space"},
		{[]string{"robust", "--space", "s2", "--select-hidden", "8"}, "--select-hidden: not a setting of the convolutional spaces"},
	} {
		_, stderr, err := runCLI(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: %v (stderr %q), want %q", c.args, err, stderr, c.want)
		}
	}
}

func TestRobustRNN(t *testing.T) {
	dir := t.TempDir()
	data := writeTextCorpus(t, dir)
	out := filepath.Join(dir, "g")
	stdout, _, err := runCLI(t, append([]string{"robust", "--values", "5e-7,1e-5", "--select-epochs", "1", "--select-hidden", "8",
		"--select-batch-size", "8", "--out", out}, tinyRNN(data)...)...)
	if err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	var res struct {
		Rule    string
		Members []struct {
			WeightDecay float64 `json:"weight_decay"`
		}
		Chosen int
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || len(res.Members) != 2 || res.Rule != "retrain" {
		t.Fatalf("%v: %s", err, stdout)
	}
	text, _, err := runCLI(t, "report", filepath.Join(out, "wd_5e-07"), filepath.Join(out, "wd_1e-05"), "--format", "text")
	if err != nil || !strings.Contains(text, "R-DARTS(L2)") {
		t.Errorf("report of the members: %v\n%s", err, text)
	}
}
