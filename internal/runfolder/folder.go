// Package runfolder owns a run folder: its file names, the exclusive lock a
// process holds on it for the whole run, atomic writes (with a fault hook
// for tests), the life cycle new → running → finished, and the epoch loop
// that search and retraining share.
//
// The life cycle: a folder is new when it holds none of the run files; a
// run that has written config.json is running (resumable from
// checkpoint.gob, or from epoch 0 when no checkpoint exists yet); it is
// finished once result.json exists, which is always the last file written,
// after every other final file is durable. A resume of a run whose
// checkpoint says it is done but which lacks a final file writes the
// missing files.
package runfolder

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rdarts/rdarts/internal/atomicfile"
)

// The files of a run folder.
const (
	ConfigFile     = "config.json"
	MetricsFile    = "metrics.jsonl"
	EigenFile      = "eigen.jsonl"
	GenotypeFile   = "genotype.txt"
	ResultFile     = "result.json"
	CheckpointFile = "checkpoint.gob"
	LockFile       = ".lock"
	// ProvenanceFile holds one record per start or resume of the run: the
	// rdarts build and machine that ran it (package provenance).
	ProvenanceFile = "provenance.jsonl"
)

// runFiles are the files whose presence means a folder holds a run.
var runFiles = []string{ConfigFile, MetricsFile, EigenFile, GenotypeFile, ResultFile, CheckpointFile, ProvenanceFile}

// EpochCheckpoint is the name of the per-epoch checkpoint of an epoch.
func EpochCheckpoint(epoch int) string { return fmt.Sprintf("checkpoint_%d.gob", epoch) }

// Folder is a run folder held, under its lock, by this process.
type Folder struct {
	Dir  string
	lock *os.File
}

// Acquire creates dir if needed and takes its lock: a second process gets
// one error naming the folder and the holder's PID. The lock is an flock,
// so the lock of a process that died is free again and simply taken over.
// Leftover temporary files of interrupted atomic writes are removed.
func Acquire(dir string) (*Folder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := strings.TrimSpace(string(b))
			if holder == "" {
				holder = "unknown"
			}
			return nil, fmt.Errorf("run folder %s is in use by process %s (a run holds it until it ends)", dir, holder)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	fo := &Folder{Dir: dir, lock: f}
	fo.removeTemps()
	return fo, nil
}

// Release gives the lock back. A nil Folder is allowed.
func (f *Folder) Release() {
	if f == nil || f.lock == nil {
		return
	}
	f.lock.Truncate(0)
	f.lock.Close() // closing the descriptor drops the flock
	f.lock = nil
}

// Path is the path of a file of the folder.
func (f *Folder) Path(name string) string { return filepath.Join(f.Dir, name) }

// removeTemps deletes the temporary files of atomic writes a killed
// process left behind.
func (f *Folder) removeTemps() {
	ents, _ := os.ReadDir(f.Dir)
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, ".") && strings.Contains(n, ".tmp") {
			os.Remove(filepath.Join(f.Dir, n))
		}
	}
}

// HasRun reports whether dir holds any run file (a new run must not
// replace it without being told to).
func HasRun(dir string) bool {
	for _, n := range runFiles {
		if exists(filepath.Join(dir, n)) {
			return true
		}
	}
	return false
}

// Finished reports whether the run in dir has finished: result.json, the
// last file a run writes, exists.
func Finished(dir string) bool { return exists(filepath.Join(dir, ResultFile)) }

// Resumable reports whether dir holds a run that can continue (its
// settings, with or without a checkpoint).
func Resumable(dir string) bool { return exists(filepath.Join(dir, ConfigFile)) }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Clear removes every run file and per-epoch checkpoint of the folder
// (a new run replacing an old one with --force).
func (f *Folder) Clear() error {
	ents, err := os.ReadDir(f.Dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if isRunFile(n) {
			if err := os.Remove(filepath.Join(f.Dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

func isRunFile(n string) bool {
	for _, r := range runFiles {
		if n == r {
			return true
		}
	}
	return strings.HasPrefix(n, "checkpoint_") && strings.HasSuffix(n, ".gob")
}

// faultHook, when set by a test, runs before (after=false) and after
// (after=true) every write of a file: an error it returns is returned by
// the write, as a full disk (before) or a failure reported after the data
// reached the disk would be. A test simulates a kill by abandoning the run
// at that error.
var faultHook func(name string, after bool) error

// SetFaultHook installs a fault hook for a test and returns the function
// that removes it. Not for concurrent tests.
func SetFaultHook(h func(name string, after bool) error) (restore func()) {
	old := faultHook
	faultHook = h
	return func() { faultHook = old }
}

// Write replaces a file of the folder atomically.
func (f *Folder) Write(name string, data []byte) error {
	if faultHook != nil {
		if err := faultHook(name, false); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path(name), err)
		}
	}
	if err := atomicfile.Write(f.Path(name), data); err != nil {
		return fmt.Errorf("writing %s: %w", f.Path(name), err)
	}
	if faultHook != nil {
		if err := faultHook(name, true); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path(name), err)
		}
	}
	return nil
}

// WriteJSON writes v as indented JSON; a value JSON cannot hold (NaN, Inf)
// is an error naming the file, never a torn or empty file.
func (f *Folder) WriteJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", f.Path(name), err)
	}
	return f.Write(name, append(b, '\n'))
}

// WriteJSONL replaces a file with one JSON line per record, atomically.
func WriteJSONL[T any](f *Folder, name string, records []T) error {
	var buf []byte
	for i, m := range records {
		line, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("encoding %s record %d: %w", f.Path(name), i+1, err)
		}
		buf = append(append(buf, line...), '\n')
	}
	return f.Write(name, buf)
}

// AppendJSONL adds v as one JSON line at the end of a file of the folder
// (created if missing). The file is replaced whole and atomically, so a
// kill leaves either the old lines or all of them, never a torn line.
func (f *Folder) AppendJSONL(name string, v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", f.Path(name), err)
	}
	old, err := os.ReadFile(f.Path(name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", f.Path(name), err)
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	return f.Write(name, append(append(old, line...), '\n'))
}

// SaveGob writes v as a gob checkpoint, atomically.
func (f *Folder) SaveGob(name string, v any) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("encoding checkpoint %s: %w", f.Path(name), err)
	}
	return f.Write(name, buf.Bytes())
}

// Remove deletes a file of the folder; a missing file is no error.
func (f *Folder) Remove(name string) error {
	if err := os.Remove(f.Path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Begin takes dir's lock and prepares it for a run with settings cfg.
// A new run (resume false) refuses a folder that holds another run's files
// unless force, which clears them, and writes config.json. A resumed run
// needs config.json, read by saved, to hold the same settings as cfg (a
// changed setting is refused naming each flag with both values); resume
// then reports whether a checkpoint exists (a run killed before its first
// checkpoint starts again at epoch 0). On error the lock is released.
func Begin(dir string, cfg any, resume, force bool, saved func() (any, error)) (_ *Folder, fromCheckpoint bool, err error) {
	f, err := Acquire(dir)
	if err != nil {
		return nil, false, err
	}
	defer func() {
		if err != nil {
			f.Release()
		}
	}()
	if !resume {
		if HasRun(dir) {
			if !force {
				return nil, false, fmt.Errorf("%s already holds a run: pass --resume to continue it, --force to replace it, or choose another folder", dir)
			}
			if err := f.Clear(); err != nil {
				return nil, false, err
			}
		}
		return f, false, f.WriteJSON(ConfigFile, cfg)
	}
	if !Resumable(dir) {
		return nil, false, fmt.Errorf("--resume: %s holds no run (no %s); start it without --resume", dir, ConfigFile)
	}
	old, err := saved()
	if err != nil {
		return nil, false, fmt.Errorf("--resume: %w", err)
	}
	if err := SameSettings(dir, old, cfg); err != nil {
		return nil, false, err
	}
	return f, exists(f.Path(CheckpointFile)), nil
}

// SameSettings refuses to continue a run with settings other than its
// own, naming each changed flag with the saved and the given value.
func SameSettings(dir string, saved, given any) error {
	changes, err := Diff(saved, given)
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		return nil
	}
	var msg []string
	for _, c := range changes {
		msg = append(msg, c.String())
	}
	return fmt.Errorf("--resume: %s holds a run with other settings: %s; resume without them or start a new --out", dir, strings.Join(msg, ", "))
}
