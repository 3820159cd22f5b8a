package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSearchRNN(t *testing.T) {
	dir := t.TempDir()
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
	out := filepath.Join(dir, "run")
	args := []string{"search-rnn", "--data", data, "--epochs", "1", "--hidden", "8", "--batch-size", "8", "--eval-batch", "4", "--bptt", "6", "--out", out}
	stdout, _, err := runCLI(t, append(args, "--quiet")...)
	if err != nil || !strings.Contains(stdout, "Genotype(recurrent=[") {
		t.Fatalf("%v: %s", err, stdout)
	}
	if stdout, _, err := runCLI(t, "report-rnn", out); err != nil || !strings.Contains(stdout, filepath.Join(out, "report", "index.html")) {
		t.Errorf("report-rnn: %v: %s", err, stdout)
	}
	// Resuming a finished run is accepted and changes nothing; a changed flag is refused.
	if _, _, err := runCLI(t, "search-rnn", "--out", out, "--resume", "--quiet"); err != nil {
		t.Errorf("resume: %v", err)
	}
	if _, _, err := runCLI(t, "search-rnn", "--out", out, "--resume", "--lr", "3"); err == nil || !strings.Contains(err.Error(), "lr") {
		t.Errorf("changed lr on resume: %v", err)
	}
	if _, _, err := runCLI(t, "search-rnn", "--out", filepath.Join(dir, "x"), "--order", "3", "--data", data); err == nil || !strings.Contains(err.Error(), "--order") {
		t.Errorf("order 3: %v", err)
	}
}

func TestTrainRNN(t *testing.T) {
	dir := t.TempDir()
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
	stdout, _, err := runCLI(t, "train-rnn", "--genotype", "DARTS_V2", "--data", data, "--epochs", "2", "--hidden", "8",
		"--batch-size", "8", "--bptt", "6", "--test-batch", "2", "--out", filepath.Join(dir, "t"), "--quiet")
	if err != nil || !strings.Contains(stdout, "test ppl") {
		t.Fatalf("%v: %s", err, stdout)
	}
	if _, _, err := runCLI(t, "train-rnn", "--genotype", "nonsense", "--data", data); err == nil || !strings.Contains(err.Error(), "--genotype") {
		t.Errorf("bad genotype: %v", err)
	}
}

func TestRobustRNN(t *testing.T) {
	dir := t.TempDir()
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
	stdout, _, err := runCLI(t, "robust-rnn", "--data", data, "--epochs", "1", "--hidden", "8", "--batch-size", "8", "--eval-batch", "4", "--bptt", "6",
		"--weight-decays", "5e-7,1e-5", "--select-epochs", "1", "--select-hidden", "8", "--select-batch-size", "8", "--out", filepath.Join(dir, "g"), "--quiet")
	if err != nil || !strings.Contains(stdout, "chosen: weight decay") || strings.Count(stdout, "selection valid ppl") != 2 {
		t.Fatalf("%v: %s", err, stdout)
	}
}
