package main

import (
	"encoding/json"
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
