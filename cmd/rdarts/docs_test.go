package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// docsDir is the committed reference, relative to this package.
const docsDir = "../../docs"

// TestDocsCurrent regenerates the CLI reference (docs/cli, docs/man) and
// docs/settings.md in memory and fails, naming the file, when the
// committed one differs or is missing, or when a committed page belongs
// to no command any more.
func TestDocsCurrent(t *testing.T) {
	files, err := generateDocs(&globals{stdout: io.Discard, stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	const fix = "run `go generate ./cmd/rdarts` and commit docs/"
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		old, err := os.ReadFile(filepath.Join(docsDir, name))
		switch {
		case err != nil:
			t.Errorf("docs/%s is missing: %s", name, fix)
		case !bytes.Equal(old, files[name]):
			t.Errorf("docs/%s is stale: %s", name, fix)
		}
	}
	for _, sub := range []string{"cli", "man"} {
		ents, err := os.ReadDir(filepath.Join(docsDir, sub))
		if err != nil {
			t.Fatalf("docs/%s: %v: %s", sub, err, fix)
		}
		for _, e := range ents {
			if _, ok := files[sub+"/"+e.Name()]; !ok {
				t.Errorf("docs/%s/%s documents no command: delete it (%s)", sub, e.Name(), fix)
			}
		}
	}
}

// TestDocsDeterministic: two generations are identical (no date, no
// machine-dependent default), and every page is there.
func TestDocsDeterministic(t *testing.T) {
	g := &globals{stdout: io.Discard, stderr: io.Discard}
	a, err := generateDocs(g)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := generateDocs(g)
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s differs between two generations", name)
		}
		if strings.Contains(string(content), "Auto generated") {
			t.Errorf("%s carries cobra's dated footer", name)
		}
	}
	for _, name := range []string{"cli/rdarts.md", "cli/rdarts_search.md", "cli/rdarts_completion_bash.md", "man/rdarts-train.1", "settings.md"} {
		if _, ok := a[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	if _, ok := a["cli/rdarts_docs.md"]; ok {
		t.Error("the hidden docs command is documented")
	}
	if s := string(a["settings.md"]); !strings.Contains(s, "| `--init-channels` | `init_channels` | 16 | 16 |") || !strings.Contains(s, "| `--es-window` | `es.window` |") {
		t.Errorf("settings.md lacks rows:\n%s", s)
	}
}

// TestDocsCommand writes the reference into a folder, and a second run
// leaves the files untouched.
func TestDocsCommand(t *testing.T) {
	out := t.TempDir()
	if _, _, err := runCLI(t, "docs", "--out", out); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(out, "cli", "rdarts_search.md")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "docs", "--out", out); err != nil {
		t.Fatal(err)
	}
	if st2, _ := os.Stat(p); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("an unchanged page was rewritten")
	}
}
