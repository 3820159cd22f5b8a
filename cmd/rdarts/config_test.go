package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rdarts/rdarts/internal/provenance"
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
	// Flag names work as keys too, the DARTS-ES constants prefixed.
	os.WriteFile(p, []byte("space: s3\ninit-channels: 7\nes-factor: 1.5\nbatch_size: 32\n"), 0o644)
	if c, err = loadConfig(p, fs); err != nil || c.Channels != 7 || c.ES.Factor != 1.5 || c.BatchSize != 32 || c.Epochs != 3 {
		t.Errorf("flag names as keys: %+v %v", c, err)
	}
	os.WriteFile(p, []byte("space: s3\nepoch: 7\n"), 0o644)
	if _, err := loadConfig(p, fs); err == nil || !strings.Contains(err.Error(), p+": line 2: epoch: not a setting") || strings.Contains(err.Error(), "\n") {
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
		{[]string{"search", "--resume", "--out", "/nonexistent", "--epochs", "9"}, 1, "/nonexistent"},
		{[]string{"search", "--resume", "--out", "/nonexistent"}, 1, "/nonexistent"},
		{[]string{"--threads", "100000", "search"}, 2, "--threads"},
		{[]string{"search", "--method", "darts-ada", "--weight-decay", "0", "--hessian-every", "2"}, 2, "--weight-decay"},
		{[]string{"search", "--data", fixture, "--layers", "100000"}, 1, "memory"},
		{[]string{"search", "--data", fixture, "--init-channels", "1000000"}, 1, "memory"},
		{[]string{"search", "--data", fixture, "--batch-size", "1000000000"}, 1, "batch-size"},
		{[]string{"train", "--genotype", "x"}, 2, "--genotype"},
		{[]string{"search", "--resume", "--force"}, 2, "resume"},
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

// fixture is the 200-image Fashion-MNIST folder of the data package.
const fixture = "../../data/testdata/fashion-mnist"

// TestNonFiniteSettings gives NaN, +Inf and −Inf to every float flag of
// search and train, and as a config file value: one usage error naming
// the setting, exit status 2, and nothing written.
func TestNonFiniteSettings(t *testing.T) {
	g := &globals{stdout: io.Discard, stderr: io.Discard}
	cnnGenotype := "Genotype(normal=[('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1)], normal_concat=range(2, 6), reduce=[('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('skip_connect', 1)], reduce_concat=range(2, 6))"
	// The recurrent space's own flags are given with a recurrent run.
	space := map[string][2][]string{
		"search": {nil, {"--space", "rnn"}},
		"train":  {{"--genotype", cnnGenotype}, {"--genotype", "DARTS_V2"}},
	}
	for _, verb := range []*cobra.Command{newCmdSearch(g), newCmdTrain(g)} {
		verb.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() != "float64" {
				return
			}
			kind := 0
			if strings.HasPrefix(f.Usage, "recurrent space:") {
				kind = 1
			}
			for _, v := range []string{"nan", "inf", "-Inf"} {
				out := filepath.Join(t.TempDir(), "run")
				args := append([]string{verb.Name(), "--data", fixture, "--out", out, "--" + f.Name, v}, space[verb.Name()][kind]...)
				var errb strings.Builder
				gg := &globals{stdout: io.Discard, stderr: &errb}
				root := newRoot(gg)
				root.SetArgs(args)
				code := exitCode(gg, root.Execute())
				if code != 2 || !strings.Contains(errb.String(), "--"+f.Name+": must be a finite number") || strings.Count(errb.String(), "\n") != 1 {
					t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
				}
				if _, err := os.Stat(out); err == nil {
					t.Errorf("%v: %s was written", args, out)
				}
			}
		})
	}
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("grad_clip: .inf\nes: {factor: .nan}\n"), 0o644)
	var errb strings.Builder
	gg := &globals{stdout: io.Discard, stderr: &errb}
	root := newRoot(gg)
	root.SetArgs([]string{"search", "--config", cfg, "--data", fixture, "--out", filepath.Join(t.TempDir(), "r")})
	if code := exitCode(gg, root.Execute()); code != 2 || !strings.Contains(errb.String(), "grad-clip: must be a finite number") {
		t.Errorf("config file with .inf: exit %d, %q", code, errb.String())
	}
}

// TestResumeCommandLine: the same command line plus --resume continues a
// run, a changed setting is refused naming the flag with both values, and
// a new run refuses the folder without --force.
func TestResumeCommandLine(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"-q", "search", "--data", fixture, "--epochs", "1", "--layers", "2", "--init-channels", "4", "--batch-size", "16", "--order", "1", "--out", out}
	cli := func(extra ...string) (int, string) {
		var errb strings.Builder
		g := &globals{stdout: io.Discard, stderr: &errb}
		root := newRoot(g)
		all := append([]string{}, args...)
		for i := 0; i < len(extra); i++ { // a later value of a flag wins
			if i+1 < len(extra) && slices.Contains(all, extra[i]) {
				all[slices.Index(all, extra[i])+1] = extra[i+1]
				i++
				continue
			}
			all = append(all, extra[i])
		}
		root.SetArgs(all)
		return exitCode(g, root.Execute()), errb.String()
	}
	events := func() (ev []string) {
		recs, err := provenance.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Backend != "fast" || r.GoVersion == "" {
				t.Errorf("provenance record %+v", r)
			}
			ev = append(ev, r.Event)
		}
		return ev
	}
	if code, msg := cli(); code != 0 {
		t.Fatalf("first run: %d %s", code, msg)
	}
	if ev := events(); !slices.Equal(ev, []string{"start"}) {
		t.Errorf("provenance after a start: %v", ev)
	}
	if code, msg := cli("--resume"); code != 0 {
		t.Errorf("the same command line with --resume: %d %s", code, msg)
	}
	if ev := events(); !slices.Equal(ev, []string{"start", "resume"}) {
		t.Errorf("provenance after a resume: %v", ev)
	}
	if code, msg := cli("--resume", "--epochs", "2"); code == 0 || !strings.Contains(msg, "--epochs (saved 1, given 2)") {
		t.Errorf("a changed setting: %d %q", code, msg)
	}
	if code, msg := cli(); code == 0 || !strings.Contains(msg, "--force") {
		t.Errorf("a new run over a finished one: %d %q", code, msg)
	}
	if code, msg := cli("--force", "--epochs", "2"); code != 0 {
		t.Errorf("--force: %d %s", code, msg)
	}
	if ev := events(); !slices.Equal(ev, []string{"start"}) {
		t.Errorf("provenance after --force: %v", ev)
	}
}
