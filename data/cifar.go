package data

import (
	"fmt"
	"path/filepath"
)

const cifarPixels = 3 * 32 * 32

// loadCIFAR10 reads data_batch_1..5.bin (in that order) or test_batch.bin.
func loadCIFAR10(dir string, train bool) (*Dataset, error) {
	files := []string{"test_batch.bin"}
	if train {
		files = files[:0]
		for i := 1; i <= 5; i++ {
			files = append(files, fmt.Sprintf("data_batch_%d.bin", i))
		}
	}
	var all *Dataset
	for _, f := range files {
		d, err := loadFile(filepath.Join(dir, f), parseCIFAR10)
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = d
			continue
		}
		all.N += d.N
		all.Pixels = append(all.Pixels, d.Pixels...)
		all.Labels = append(all.Labels, d.Labels...)
	}
	return all, nil
}

// parseCIFAR10 parses CIFAR-10 binary records: a label byte, then 1024 R,
// 1024 G and 1024 B bytes, each plane 32×32 row-major.
func parseCIFAR10(file string, b []byte) (*Dataset, error) {
	return parseCIFAR(file, b, 1, 0, 10)
}

// parseCIFAR100 parses CIFAR-100 binary records: coarse label, fine label
// (used), then 3072 pixel bytes as in CIFAR-10.
func parseCIFAR100(file string, b []byte) (*Dataset, error) {
	return parseCIFAR(file, b, 2, 1, 100)
}

// parseCIFAR parses records of head label bytes plus pixels, taking the
// label at offset label within the head.
func parseCIFAR(file string, b []byte, head, label, classes int) (*Dataset, error) {
	rec := head + cifarPixels
	if len(b) == 0 {
		return nil, errorf(file, "empty file")
	}
	if len(b)%rec != 0 {
		return nil, errorf(file, "size %d is not a multiple of the %d-byte record (truncated or not this format?)", len(b), rec)
	}
	n := len(b) / rec
	d := &Dataset{N: n, C: 3, H: 32, W: 32, Classes: classes,
		Pixels: make([]uint8, n*cifarPixels), Labels: make([]uint8, n)}
	for i := 0; i < n; i++ {
		r := b[i*rec : (i+1)*rec]
		d.Labels[i] = r[label]
		copy(d.Pixels[i*cifarPixels:], r[head:]) // already CHW planar
	}
	if err := checkLabels(file, d.Labels, classes); err != nil {
		return nil, err
	}
	return d, nil
}
