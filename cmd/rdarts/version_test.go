package main

import (
	"context"
	"encoding/json"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/provenance"
)

// TestVersion: rdarts version names the Go version and the backend, and
// --json prints one provenance record.
func TestVersion(t *testing.T) {
	var out, errb strings.Builder
	g := &globals{stdout: &out, stderr: &errb}
	root := newRoot(g)
	root.SetArgs([]string{"version"})
	if code := exitCode(g, root.Execute()); code != 0 || !strings.Contains(out.String(), runtime.Version()) || !strings.Contains(out.String(), "backend: fast") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	out.Reset()
	g = &globals{stdout: &out, stderr: &errb}
	root = newRoot(g)
	root.SetArgs([]string{"version", "--json", "--backend", "purego"})
	if code := exitCode(g, root.Execute()); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	var r provenance.Record
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	if r.Backend != "purego" || r.Threads < 1 || r.GoVersion != runtime.Version() || r.CPUFeatures == "" {
		t.Errorf("record %+v", r)
	}
}

// TestOneLineErrors: usage mistakes cobra itself reports (an unknown
// command with suggestions, a wrong number of arguments, a bad flag) are
// one line naming the command or flag, exit status 2.
func TestOneLineErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serch"}, `unknown command "serch" for "rdarts" (did you mean search`},
		{[]string{"grid", "plan"}, "rdarts grid plan: accepts 1 arg(s), received 0"},
		{[]string{"hessian"}, "rdarts hessian: accepts 1 arg(s)"},
		{[]string{"search", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"version", "extra"}, `unknown command "extra" for "rdarts version"`},
	} {
		var errb strings.Builder
		g := &globals{stdout: io.Discard, stderr: &errb}
		root := newRoot(g)
		root.SetArgs(c.args)
		code := execute(context.Background(), g, root)
		if code != 2 || !strings.Contains(errb.String(), c.want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want one line containing %q", c.args, code, errb.String(), c.want)
		}
	}
}
