package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Dataset is one split of an image dataset held in memory.
type Dataset struct {
	Name       string // canonical dataset name, e.g. "cifar10"
	N, C, H, W int    // images, channels, height, width
	Classes    int    // number of classes; every label is below it
	Pixels     []uint8
	Labels     []uint8
}

// Image returns the C*H*W pixels of image i (shared, not copied).
func (d *Dataset) Image(i int) []uint8 {
	n := d.C * d.H * d.W
	return d.Pixels[i*n : (i+1)*n : (i+1)*n]
}

// Names lists the datasets Load understands.
var Names = []string{"cifar10", "cifar100", "svhn", "mnist", "fashion-mnist"}

// DefaultDir returns the directory a dataset is installed in by default, or
// "" when there is none and the caller must be told where the files are.
func DefaultDir(name string) string {
	if name == "fashion-mnist" {
		return "/usr/share/datasets/fashion-mnist" // Debian package dataset-fashion-mnist
	}
	return ""
}

// Load reads the training (train=true) or test split of dataset name from
// dir. If dir is "" it uses DefaultDir(name).
func Load(name, dir string, train bool) (*Dataset, error) {
	if dir == "" {
		dir = DefaultDir(name)
		if dir == "" {
			return nil, fmt.Errorf("data: %s: no default directory, give the directory holding its files", name)
		}
	}
	var d *Dataset
	var err error
	switch name {
	case "cifar10":
		d, err = loadCIFAR10(dir, train)
	case "cifar100":
		file := "test.bin"
		if train {
			file = "train.bin"
		}
		d, err = loadFile(filepath.Join(dir, file), parseCIFAR100)
	case "svhn":
		file := "test_32x32.mat"
		if train {
			file = "train_32x32.mat"
		}
		d, err = loadFile(filepath.Join(dir, file), parseSVHN)
	case "mnist", "fashion-mnist":
		d, err = loadIDX(dir, train)
	default:
		return nil, fmt.Errorf("data: unknown dataset %q (want one of %s)", name, strings.Join(Names, ", "))
	}
	if err != nil {
		return nil, err
	}
	d.Name = name
	return d, nil
}

// readFile reads a whole file, turning a missing file into a clear error.
func readFile(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("data: %s: file not found", file)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, errorf(file, "%v", pe.Err) // the path is already named
	}
	if err != nil {
		return nil, errorf(file, "%v", err)
	}
	return b, nil
}

func loadFile(file string, parse func(string, []byte) (*Dataset, error)) (*Dataset, error) {
	b, err := readFile(file)
	if err != nil {
		return nil, err
	}
	return parse(file, b)
}

// errorf formats a reader error that names the offending file.
func errorf(file, format string, args ...any) error {
	return fmt.Errorf("data: %s: "+format, append([]any{file}, args...)...)
}

// checkLabels reports the first label that is not below classes.
func checkLabels(file string, labels []uint8, classes int) error {
	for i, l := range labels {
		if int(l) >= classes {
			return errorf(file, "label %d of record %d is out of range [0,%d)", l, i, classes)
		}
	}
	return nil
}

// Norm holds the per-channel mean and std applied after scaling to [0,1].
type Norm struct {
	Mean, Std []float32
}

// NormFor returns the normalisation constants of dataset name (see the
// package doc for their origin).
func NormFor(name string) (Norm, error) {
	switch name {
	case "cifar10":
		return Norm{
			Mean: []float32{0.49139968, 0.48215827, 0.44653124},
			Std:  []float32{0.24703233, 0.24348505, 0.26158768},
		}, nil
	case "cifar100":
		return Norm{Mean: []float32{0.5071, 0.4865, 0.4409}, Std: []float32{0.2673, 0.2564, 0.2762}}, nil
	case "svhn":
		return Norm{Mean: []float32{0.4377, 0.4438, 0.4728}, Std: []float32{0.1980, 0.2010, 0.1970}}, nil
	case "mnist":
		return Norm{Mean: []float32{0.1307}, Std: []float32{0.3081}}, nil
	case "fashion-mnist":
		return Norm{Mean: []float32{0.28604060}, Std: []float32{0.35302424}}, nil
	}
	return Norm{}, fmt.Errorf("data: unknown dataset %q (want one of %s)", name, strings.Join(Names, ", "))
}

// Subset is a view of some images of a dataset, in Index order.
type Subset struct {
	D     *Dataset
	Index []int32
}

// Len returns the number of images in the subset.
func (s Subset) Len() int { return len(s.Index) }

// All returns the whole dataset in file order, e.g. for retraining or testing.
func (d *Dataset) All() Subset { return d.Range(0, d.N) }

// Range returns images [lo, hi) in file order; it panics if out of range.
func (d *Dataset) Range(lo, hi int) Subset {
	if lo < 0 || hi > d.N || lo > hi {
		panic(fmt.Sprintf("data: Range(%d, %d) outside [0, %d]", lo, hi, d.N))
	}
	idx := make([]int32, hi-lo)
	for i := range idx {
		idx[i] = int32(lo + i)
	}
	return Subset{D: d, Index: idx}
}

// SearchSplit splits a training set as the search does (docs/method.md, Data and
// batches): the first
// trainSize images (0 = all) are kept, the first half of them, rounded down,
// trains the weights and the rest ("valid") trains α.
func SearchSplit(d *Dataset, trainSize int) (train, valid Subset, err error) {
	if trainSize < 0 || trainSize > d.N {
		return Subset{}, Subset{}, fmt.Errorf("data: %s: train size %d outside [0, %d]", d.Name, trainSize, d.N)
	}
	if trainSize == 0 {
		trainSize = d.N
	}
	half := trainSize / 2
	return d.Range(0, half), d.Range(half, trainSize), nil
}
