package runfolder

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

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

// ReadJSON decodes a JSON file strictly (unknown fields are errors) into
// v, which holds the defaults; the error names the file.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return DecodeJSON(path, b, v)
}

// DecodeJSON is ReadJSON on bytes already read from path.
func DecodeJSON(path string, b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%s: data after the JSON object", path)
	}
	return nil
}

// ReadJSONL reads a file of one JSON record per line. rdarts writes such
// files whole and atomically, so any line that does not decode (a torn
// line included) is an error naming the file and the line.
func ReadJSONL[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeJSONL[T](path, f)
}

// DecodeJSONL is ReadJSONL on a reader; path names it in errors.
func DecodeJSONL[T any](path string, r io.Reader) ([]T, error) {
	var out []T
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return out, fmt.Errorf("%s line %d: %w (damaged or half-written?)", path, line, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// In is the path of a file of a run folder that is not held.
func In(dir, name string) string { return filepath.Join(dir, name) }
