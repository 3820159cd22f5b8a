package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPTBFromText(t *testing.T) {
	var text strings.Builder
	for i := 0; i < 700; i++ {
		text.WriteString("In the beginning was the Word, and the Word was with God.\n")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	os.WriteFile(in, []byte(text.String()), 0o644)
	out, _, err := runCLI(t, "data", "ptb-from-text", "--in", in, "--out", filepath.Join(dir, "c"), "--vocab", "5")
	if err != nil || !strings.Contains(out, "5 words in the vocabulary") {
		t.Fatalf("%v: %s", err, out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "c", "ptb.train.txt"))
	if !strings.HasPrefix(string(b), " <unk> the <unk> was the word <unk> the word was <unk> <unk> \n") {
		t.Errorf("train file starts %q", b[:60])
	}
	// Standard input.
	var o, e bytes.Buffer
	g := &globals{stdout: &o, stderr: &e}
	root := newRoot(g)
	root.SetIn(strings.NewReader(text.String()))
	root.SetArgs([]string{"data", "ptb-from-text", "--out", filepath.Join(dir, "d")})
	if err := root.Execute(); err != nil || !strings.Contains(o.String(), "9 words in the vocabulary") {
		t.Errorf("stdin: %v: %s", err, o.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "ptb-from-text"}, "--out"},
		{[]string{"data", "ptb-from-text", "--out", dir, "--vocab", "2"}, "--vocab"},
		{[]string{"data", "ptb-from-text", "--out", dir, "--in", filepath.Join(dir, "none")}, "no such file"},
	} {
		if _, _, err := runCLI(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}
