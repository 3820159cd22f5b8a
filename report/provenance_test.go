package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/provenance"
	"github.com/rdarts/rdarts/internal/runfolder"
)

// copyRun copies a run's files (provenance.jsonl left out) to a new folder.
func copyRun(t *testing.T, src string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), filepath.Base(src))
	os.MkdirAll(dir, 0o755)
	for _, name := range []string{"config.json", "metrics.jsonl", "result.json", "genotype.txt"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	return dir
}

func writeProvenance(t *testing.T, dir string, recs ...provenance.Record) {
	t.Helper()
	var b []byte
	for _, r := range recs {
		line, _ := json.Marshal(r)
		b = append(append(b, line...), '\n')
	}
	if err := os.WriteFile(filepath.Join(dir, runfolder.ProvenanceFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestProvenanceShown: a run's first start and, when it differs, its last
// reach the run's Build, the table rows, and the text, CSV, JSON and HTML
// outputs; runs without provenance say so, a damaged file is a warning.
func TestProvenanceShown(t *testing.T) {
	f := runs(t)
	if recs, err := provenance.Read(f.darts1); err != nil || len(recs) != 1 || recs[0].Event != "start" || recs[0].Backend != "fast" {
		t.Fatalf("a search writes one start record: %+v %v", recs, err)
	}
	first := provenance.Record{Event: "start", Revision: "aaaaaaaaaaaaaaaa", Backend: "fast", GEMM: "OpenBLAS", CPUFeatures: "avx2", Threads: 2}
	same := first
	same.Event, same.Threads = "resume", 4
	last := first
	last.Event, last.Revision, last.Modified = "resume", "bbbbbbbbbbbbbbbb", true
	mixed, steady, none, damaged := copyRun(t, f.darts1), copyRun(t, f.darts2), copyRun(t, f.es), copyRun(t, f.ada)
	writeProvenance(t, mixed, first, same, last)
	writeProvenance(t, steady, first, same)
	os.WriteFile(filepath.Join(damaged, runfolder.ProvenanceFile), []byte("{\"backend\":\n"), 0o644)

	got, warnings := Load([]string{mixed, steady, none, damaged}, quiet)
	if len(got) != 4 {
		t.Fatalf("%d runs, warnings %q", len(got), warnings)
	}
	wantMixed := "aaaaaaaaaaaa fast/OpenBLAS avx2 → bbbbbbbbbbbb+dirty fast/OpenBLAS avx2"
	wantSteady := "aaaaaaaaaaaa fast/OpenBLAS avx2"
	for i, want := range []string{wantMixed, wantSteady, noBuild, noBuild} {
		if b := got[i].Build(); b != want {
			t.Errorf("%s: Build %q, want %q", got[i].Dir, b, want)
		}
	}
	if !slices.ContainsFunc(warnings, func(w string) bool {
		return strings.Contains(w, damaged) && strings.Contains(w, runfolder.ProvenanceFile+" line 1")
	}) {
		t.Errorf("no warning naming the damaged file and line: %q", warnings)
	}

	rows := Table(got)
	var darts Row
	for _, r := range rows {
		if r.Method == "DARTS" {
			darts = r
		}
	}
	if !slices.Equal(darts.Builds, []string{wantMixed, wantSteady}) {
		t.Errorf("DARTS row builds %q", darts.Builds)
	}

	var buf bytes.Buffer
	if err := WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(&buf).ReadAll()
	col := slices.Index(recs[0], "builds")
	if col < 0 || !slices.ContainsFunc(recs[1:], func(l []string) bool { return l[col] == wantMixed+"; "+wantSteady }) {
		t.Errorf("csv builds column: %q", recs)
	}

	buf.Reset()
	if err := WriteJSON(&buf, got, warnings); err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(buf.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	r0, r1, r2 := s.Runs[0], s.Runs[1], s.Runs[2]
	if r0.Build != wantMixed || r0.FirstStart == nil || r0.FirstStart.Revision != first.Revision || r0.LastStart == nil || !r0.LastStart.Modified {
		t.Errorf("json run with two builds: %+v", r0)
	}
	if r1.FirstStart == nil || r1.LastStart != nil || r2.FirstStart != nil || r2.Build != noBuild {
		t.Errorf("json runs: %+v\n%+v", r1, r2)
	}

	buf.Reset()
	if err := WriteText(&buf, rows, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "build "+wantMixed+": s2/fashion-mnist DARTS") {
		t.Errorf("text:\n%s", buf.String())
	}

	d := runSection(0, got[0], "label", "", func(string, func(string) error) string { return "" }, func(string, ...any) {})
	if !slices.Contains(d.Facts, fact{"build", wantMixed}) {
		t.Errorf("HTML facts %+v", d.Facts)
	}
}
