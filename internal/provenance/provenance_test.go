package provenance

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/rdarts/rdarts/internal/runfolder"
)

func TestCollect(t *testing.T) {
	r := Collect("fast")
	if r.GoVersion == "" || r.OS != runtime.GOOS || r.Arch != runtime.GOARCH || r.Backend != "fast" ||
		r.GEMM == "" || r.CPUFeatures == "" || r.Threads < 1 || r.Module == "" || r.Version == "" {
		t.Errorf("incomplete record %+v", r)
	}
	if p := Collect("purego"); p.GEMM != "" {
		t.Errorf("purego names a GEMM library: %+v", p)
	}
}

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Path: "github.com/rdarts/rdarts", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "CGO_ENABLED", Value: "1"}}}
	r := Record{Module: "unknown", Version: "unknown", Backend: "fast", GEMM: "OpenBLAS", CPUFeatures: "avx2"}
	fromBuildInfo(&r, bi)
	want := Record{Module: "github.com/rdarts/rdarts", Version: "(devel)", Revision: "0123456789abcdef0123", Modified: true,
		CommitTime: "2026-01-02T03:04:05Z", GoVersion: "go1.99", Cgo: true, Backend: "fast", GEMM: "OpenBLAS", CPUFeatures: "avx2"}
	if r != want {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
	if got := r.Short(); got != "0123456789ab+dirty fast/OpenBLAS avx2" {
		t.Errorf("Short = %q", got)
	}
	// No stamp (go test, -buildvcs=false): the fields stay as they were.
	r = Record{Module: "unknown", Version: "unknown", Backend: "purego", CPUFeatures: "sse2"}
	fromBuildInfo(&r, &debug.BuildInfo{})
	if r.Module != "unknown" || r.Version != "unknown" || r.Revision != "" || r.Short() != "unknown commit purego sse2" {
		t.Errorf("without build info: %+v %q", r, r.Short())
	}
}

func TestFromLinker(t *testing.T) {
	r := Record{}
	fromLinker(&r, "abc", "true")
	if r.Revision != "abc" || !r.Modified {
		t.Errorf("linker values not used: %+v", r)
	}
	r = Record{Revision: "stamped"}
	fromLinker(&r, "abc", "true")
	if r.Revision != "stamped" || r.Modified {
		t.Errorf("linker values override the VCS stamp: %+v", r)
	}
}

func TestSame(t *testing.T) {
	a := Record{Revision: "abc", Backend: "fast", Event: "start", Time: "t1", Threads: 2}
	b := a
	b.Event, b.Time, b.Threads = "resume", "t2", 4
	if !a.Same(b) {
		t.Error("records differing only in event, time and threads are not the same build")
	}
	b.Modified = true
	if a.Same(b) {
		t.Error("a dirty tree is the same build")
	}
}

func TestAppendRead(t *testing.T) {
	dir := t.TempDir()
	if recs, err := Read(dir); err != nil || recs != nil {
		t.Fatalf("folder without provenance: %v %v", recs, err)
	}
	f, err := runfolder.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	first := Collect("fast")
	if err := Append(f, first, Event(false)); err != nil {
		t.Fatal(err)
	}
	second := first
	second.Backend = "purego"
	if err := Append(f, second, Event(true)); err != nil {
		t.Fatal(err)
	}
	recs, err := Read(dir)
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	if recs[0].Event != "start" || recs[1].Event != "resume" || recs[1].Backend != "purego" || recs[0].Time == "" || !recs[0].Same(first) {
		t.Errorf("records %+v", recs)
	}
	b, _ := os.ReadFile(filepath.Join(dir, runfolder.ProvenanceFile))
	if n := strings.Count(string(b), "\n"); n != 2 {
		t.Errorf("%d lines, want 2:\n%s", n, b)
	}
}

func TestAppendFault(t *testing.T) {
	dir := t.TempDir()
	f, err := runfolder.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if err := Append(f, Collect("fast"), "start"); err != nil {
		t.Fatal(err)
	}
	restore := runfolder.SetFaultHook(func(name string, after bool) error {
		if name == runfolder.ProvenanceFile && !after {
			return os.ErrPermission
		}
		return nil
	})
	err = Append(f, Collect("fast"), "resume")
	restore()
	if err == nil || !strings.Contains(err.Error(), runfolder.ProvenanceFile) {
		t.Fatalf("a failed write: %v", err)
	}
	if recs, err := Read(dir); err != nil || len(recs) != 1 {
		t.Errorf("after a failed append: %d records, %v", len(recs), err)
	}
}

func TestReadDamaged(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, runfolder.ProvenanceFile), []byte("{\"backend\":\"fast\"}\n{\"backend\n"), 0o644)
	_, err := Read(dir)
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("damaged file: %v", err)
	}
}
