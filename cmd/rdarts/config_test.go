package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/rdarts/rdarts/search"
)

// TestLoadConfig: a config file over the defaults, flags given on the
// command line win, unknown fields are refused with their name.
func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("space: s3\nepochs: 7\nes:\n  factor: 1.5\n"), 0o644)
	cfg := search.Defaults()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	bindSearchFlags(fs, &cfg)
	if err := fs.Parse([]string{"--epochs", "3"}); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(p, fs)
	if err != nil {
		t.Fatal(err)
	}
	if c.Space != "s3" || c.Epochs != 3 || c.ES.Factor != 1.5 || c.Layers != 8 {
		t.Errorf("config %+v", c)
	}
	os.WriteFile(p, []byte("epoch: 7\n"), 0o644)
	if _, err := loadConfig(p, fs); err == nil || !strings.Contains(err.Error(), "epoch") {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := loadConfig(filepath.Join(dir, "missing.yaml"), fs); err == nil {
		t.Error("missing file accepted")
	}
}

// TestBadInput runs the command with bad flags and data: one error line,
// exit status 2 for usage and 1 for the world, never a panic.
func TestBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"search", "--space", "s9"}, 2, "space"},
		{[]string{"search", "--order", "3"}, 2, "order"},
		{[]string{"search", "--epochs", "x"}, 2, "epochs"},
		{[]string{"search", "--dataset", "cifar10", "--data", "/nonexistent"}, 1, "/nonexistent"},
		{[]string{"hessian", "/nonexistent"}, 1, "/nonexistent"},
		{[]string{"analyze", "es", "/nonexistent"}, 1, "/nonexistent"},
		{[]string{"bogus"}, 2, "unknown command"},
		{[]string{"search", "--resume", "--out", "/nonexistent", "--epochs", "9"}, 2, "--epochs"},
		{[]string{"search", "--resume", "--out", "/nonexistent"}, 1, "/nonexistent"},
	} {
		var out, errb strings.Builder
		g := &globals{stdout: &out, stderr: &errb}
		root := newRoot(g)
		root.SetArgs(c.args)
		code := exitCode(g, root.Execute())
		if code != c.code || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want it to name %q)", c.args, code, c.code, errb.String(), c.want)
		}
	}
}
