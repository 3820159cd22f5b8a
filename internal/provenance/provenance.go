// Package provenance says which rdarts produced a result: the module
// version and VCS revision of the binary, the Go toolchain, the platform,
// the compute backend and the CPU features its kernels use, and the number
// of threads. `rdarts version` prints it, and every run folder keeps one
// record per start or resume in provenance.jsonl (runfolder.ProvenanceFile),
// so results can be traced to code. Records name no host or user.
package provenance

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/rdarts/rdarts/internal/kernels/fast"
	"github.com/rdarts/rdarts/internal/parallel"
	"github.com/rdarts/rdarts/internal/runfolder"
	"github.com/rdarts/rdarts/internal/vec"
)

// Record is the provenance of one start or resume of a run (or of the
// binary, for rdarts version, where Event and Time are empty).
type Record struct {
	// Event is "start" or "resume" in a run folder.
	Event string `json:"event,omitempty"`
	// Time is when the run started or resumed (RFC 3339, UTC).
	Time string `json:"time,omitempty"`
	// Module and Version are the main module's path and version
	// ("(devel)" for a build from a checkout); "unknown" without build
	// information.
	Module  string `json:"module"`
	Version string `json:"version"`
	// Revision, Modified and CommitTime come from the VCS stamp go build
	// writes inside a git checkout: the commit, whether the working tree
	// had uncommitted changes, and the commit's time. Empty (false) when
	// the binary carries no stamp (go test, go run, -buildvcs=false).
	Revision   string `json:"vcs_revision,omitempty"`
	Modified   bool   `json:"vcs_modified"`
	CommitTime string `json:"vcs_time,omitempty"`
	// GoVersion, OS and Arch are the toolchain and platform of the build.
	GoVersion string `json:"go_version"`
	OS        string `json:"goos"`
	Arch      string `json:"goarch"`
	// Cgo says whether the C kernels and OpenBLAS are compiled in.
	Cgo bool `json:"cgo"`
	// Backend is the kernels backend (fast, purego), GEMM the library the
	// fast backend multiplies matrices with, CPUFeatures the instruction
	// set of the vectorised element-wise kernels.
	Backend     string `json:"backend"`
	GEMM        string `json:"gemm,omitempty"`
	CPUFeatures string `json:"cpu_features"`
	// Threads is the number of parallel workers the kernels split over.
	Threads int `json:"threads"`
}

// Collect describes this binary running with kernels backend (its Name):
// build information from runtime/debug.ReadBuildInfo, falling back to
// "unknown" fields when the binary has none.
func Collect(backend string) Record {
	r := Record{
		Module: "unknown", Version: "unknown",
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Backend: backend, CPUFeatures: vec.CPUFeatures(), Threads: parallel.Workers(),
	}
	if backend == "fast" {
		r.GEMM = fast.GEMM
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fromBuildInfo(&r, bi)
	}
	fromLinker(&r, linkRevision, linkModified, linkTime)
	return r
}

// linkRevision, linkModified and linkTime are set by scripts/setup.sh with
// -ldflags -X (the commit, "true" or "false", the commit's UTC time), for
// builds go build cannot stamp itself, such as inside a git worktree.
var linkRevision, linkModified, linkTime string

// fromLinker fills the commit from the linker-set values when the build
// information has none.
func fromLinker(r *Record, rev, modified, when string) {
	if r.Revision == "" && rev != "" {
		r.Revision, r.Modified, r.CommitTime = rev, modified == "true", when
	}
}

// fromBuildInfo fills r from the build information of a binary.
func fromBuildInfo(r *Record, bi *debug.BuildInfo) {
	if bi.Main.Path != "" {
		r.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		r.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		r.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			r.Revision = s.Value
		case "vcs.modified":
			r.Modified = s.Value == "true"
		case "vcs.time":
			r.CommitTime = s.Value
		case "CGO_ENABLED":
			r.Cgo = s.Value == "1"
		}
	}
}

// Short is the record in a few words: the commit (12 hex digits, "+dirty"
// when the tree had changes, "unknown commit" without a stamp) and the
// backend, e.g. "1da4e66c2f0a+dirty fast/OpenBLAS avx2".
func (r Record) Short() string {
	commit := "unknown commit"
	if r.Revision != "" {
		commit = r.Revision
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if r.Modified {
			commit += "+dirty"
		}
	}
	backend := r.Backend
	if r.GEMM != "" {
		backend += "/" + r.GEMM
	}
	return fmt.Sprintf("%s %s %s", commit, backend, r.CPUFeatures)
}

// Same reports whether two records name the same build and backend
// (Event, Time and Threads aside).
func (r Record) Same(o Record) bool {
	r.Event, r.Time, r.Threads = "", "", 0
	o.Event, o.Time, o.Threads = "", "", 0
	return r == o
}

// Append adds r, stamped with event ("start" or "resume") and the current
// time, to the folder's provenance.jsonl, atomically.
func Append(f *runfolder.Folder, r Record, event string) error {
	r.Event, r.Time = event, time.Now().UTC().Format(time.RFC3339)
	return f.AppendJSONL(runfolder.ProvenanceFile, r)
}

// Event is "resume" for a resumed run, else "start".
func Event(resume bool) string {
	if resume {
		return "resume"
	}
	return "start"
}

// NextEvent is the event of a run that has no resume flag of its own (an
// R-DARTS or grid run): "resume" when the folder already holds provenance
// records, else "start".
func NextEvent(f *runfolder.Folder) string {
	recs, _ := Read(f.Dir)
	return Event(len(recs) > 0)
}

// Read returns the provenance records of the run folder dir, oldest
// first; a folder without provenance.jsonl (a run of an older rdarts) has
// none and no error. A damaged line is an error naming the file and line.
func Read(dir string) ([]Record, error) {
	recs, err := runfolder.ReadJSONL[Record](runfolder.In(dir, runfolder.ProvenanceFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return recs, err
}

// Begin takes a run folder (runfolder.Begin) and records this start or
// resume in its provenance.jsonl with the build of backend; on an error
// the folder is released.
func Begin(dir string, cfg any, resume, force bool, saved func() (any, error), backend string) (*runfolder.Folder, bool, error) {
	f, fromCheckpoint, err := runfolder.Begin(dir, cfg, resume, force, saved)
	if err != nil {
		return nil, false, err
	}
	if err := Append(f, Collect(backend), Event(resume)); err != nil {
		f.Release()
		return nil, false, err
	}
	return f, fromCheckpoint, nil
}
