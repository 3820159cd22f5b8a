// Package runfolder holds what search and retraining runs share: gob
// checkpoints written atomically, the metrics.jsonl log, the running sums of
// an epoch and its step loop.
package runfolder

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"os"

	"github.com/rdarts/rdarts/internal/atomicfile"
)

// SaveGob writes v as a gob checkpoint, atomically.
func SaveGob(path string, v any) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("encoding checkpoint %s: %w", path, err)
	}
	if err := atomicfile.Write(path, buf.Bytes()); err != nil {
		return fmt.Errorf("writing checkpoint %s: %w", path, err)
	}
	return nil
}

// LoadGob reads a gob checkpoint into v; kind names what it should be in
// the error for a foreign or damaged file.
func LoadGob(path, kind string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading checkpoint: %w", err)
	}
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		return fmt.Errorf("checkpoint %s is damaged or not an rdarts %s checkpoint: %w", path, kind, err)
	}
	return nil
}

// WriteJSONL replaces path with one JSON line per record, atomically: a
// resumed run rewrites its log from the checkpoint, dropping lines a killed
// run wrote after its last checkpoint.
func WriteJSONL[T any](path string, records []T) error {
	var buf []byte
	for _, m := range records {
		line, err := json.Marshal(m)
		if err != nil {
			return err
		}
		buf = append(append(buf, line...), '\n')
	}
	return atomicfile.Write(path, buf)
}

// AppendJSONL adds one JSON line to path.
func AppendJSONL(path string, record any) error {
	line, err := json.Marshal(record)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Sums accumulates an epoch's training loss and accuracy; it is part of a
// checkpoint so that a run resumed mid-epoch reports the same numbers.
type Sums struct {
	Loss    float64
	Correct int
	N       int
	Seconds float64
}

// Add counts one batch: its mean loss, correct predictions, size and time.
func (s *Sums) Add(loss float64, correct, n int, seconds float64) {
	s.Loss += loss * float64(n)
	s.Correct += correct
	s.N += n
	s.Seconds += seconds
}

// MeanLoss is the average loss per image.
func (s Sums) MeanLoss() float64 { return s.Loss / float64(max(s.N, 1)) }

// Accuracy is the percentage of correct predictions.
func (s Sums) Accuracy() float64 { return 100 * float64(s.Correct) / float64(max(s.N, 1)) }

// ReadJSONL reads a file of one JSON record per line.
func ReadJSONL[T any](path string) ([]T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []T
	for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			return out, fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		out = append(out, v)
	}
	return out, nil
}
