package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

const (
	idxImageMagic = 2051
	idxLabelMagic = 2049
)

// loadIDX reads MNIST-style idx image and label files, plain or gzip.
func loadIDX(dir string, train bool) (*Dataset, error) {
	prefix := "t10k"
	if train {
		prefix = "train"
	}
	imgFile, imgBytes, err := readIDXFile(filepath.Join(dir, prefix+"-images-idx3-ubyte"))
	if err != nil {
		return nil, err
	}
	lblFile, lblBytes, err := readIDXFile(filepath.Join(dir, prefix+"-labels-idx1-ubyte"))
	if err != nil {
		return nil, err
	}
	return parseIDX(imgFile, imgBytes, lblFile, lblBytes)
}

// readIDXFile reads base, or base.gz when base does not exist.
func readIDXFile(base string) (string, []byte, error) {
	b, err := os.ReadFile(base)
	if err == nil {
		return base, b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		_, err = readFile(base) // for its error message
		return "", nil, err
	}
	if _, err := os.Stat(base + ".gz"); errors.Is(err, fs.ErrNotExist) {
		return "", nil, errorf(base, "file not found (nor %s.gz)", filepath.Base(base))
	}
	b, err = readFile(base + ".gz")
	return base + ".gz", b, err
}

// parseIDX parses an idx3 image file and its idx1 label file.
func parseIDX(imgFile string, img []byte, lblFile string, lbl []byte) (*Dataset, error) {
	n, h, w, pixels, err := parseIDXImages(imgFile, img)
	if err != nil {
		return nil, err
	}
	labels, err := parseIDXLabels(lblFile, lbl)
	if err != nil {
		return nil, err
	}
	if len(labels) != n {
		return nil, errorf(lblFile, "%d labels for %d images in %s", len(labels), n, filepath.Base(imgFile))
	}
	return &Dataset{N: n, C: 1, H: h, W: w, Classes: 10, Pixels: pixels, Labels: labels}, nil
}

// parseIDXImages parses an idx3-ubyte file: magic 2051, then big-endian
// count, rows and columns, then the pixels.
func parseIDXImages(file string, b []byte) (n, h, w int, pixels []uint8, err error) {
	dims, body, err := idxBody(file, b, idxImageMagic, 3)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	n, h, w = dims[0], dims[1], dims[2]
	if n == 0 || h == 0 || w == 0 {
		return 0, 0, 0, nil, errorf(file, "empty image set (%d images of %d×%d)", n, h, w)
	}
	return n, h, w, body, nil
}

// parseIDXLabels parses an idx1-ubyte file: magic 2049, count, labels.
func parseIDXLabels(file string, b []byte) ([]uint8, error) {
	_, body, err := idxBody(file, b, idxLabelMagic, 1)
	if err != nil {
		return nil, err
	}
	if err := checkLabels(file, body, 10); err != nil {
		return nil, err
	}
	return body, nil
}

// idxBody checks the magic and reads exactly the payload the header
// promises, inflating gzip input. It reads through a limit so a lying
// header or a gzip bomb cannot make it allocate more than is there.
func idxBody(file string, b []byte, magic uint32, ndim int) ([]int, []uint8, error) {
	var r io.Reader = bytes.NewReader(b)
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, errorf(file, "bad gzip header: %v", err)
		}
		r = z
	}
	head := make([]byte, 4+4*ndim)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, nil, errorf(file, "truncated idx header: %v", err)
	}
	if m := binary.BigEndian.Uint32(head); m != magic {
		return nil, nil, errorf(file, "bad idx magic %d (want %d)", m, magic)
	}
	dims := make([]int, ndim)
	size := uint64(1)
	for i := range dims {
		v := binary.BigEndian.Uint32(head[4+4*i:])
		dims[i] = int(v)
		size *= uint64(v)
		if size > 1<<40 {
			return nil, nil, errorf(file, "idx dimensions %v too large", dims[:i+1])
		}
	}
	body, err := io.ReadAll(io.LimitReader(r, int64(size)+1))
	if err != nil {
		return nil, nil, errorf(file, "reading data: %v", err)
	}
	if uint64(len(body)) < size {
		return nil, nil, errorf(file, "truncated: header promises %d data bytes, file has %d", size, len(body))
	}
	if uint64(len(body)) > size {
		return nil, nil, errorf(file, "extra data after the %d bytes the header promises", size)
	}
	return dims, body, nil
}
