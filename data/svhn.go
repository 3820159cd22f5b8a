package data

import (
	"math"
	"sort"
	"strings"
)

// parseSVHN parses an SVHN cropped-digits MAT file: X is uint8
// 32×32×3×N (row, column, channel, image; column-major, so element
// r + 32c + 1024ch + 3072n), y is N×1 (any numeric class) with labels 1..10,
// 10 meaning digit 0.
func parseSVHN(file string, b []byte) (*Dataset, error) {
	vars, order, err := parseMAT(file, b)
	if err != nil {
		return nil, err
	}
	x, y := vars["X"], vars["y"]
	if x == nil || y == nil {
		return nil, errorf(file, "MAT file lacks variable X or y (has %s)", varNames(vars))
	}
	if x.class != mxUINT8 || x.complex || x.typ != miUINT8 {
		return nil, errorf(file, "X is %s (storage type %d), want real uint8", matClassName(x.class), x.typ)
	}
	dims := x.dims
	if len(dims) == 3 { // MAT drops a trailing singleton: a single image
		dims = append(dims[:3:3], 1)
	}
	if len(dims) != 4 || dims[0] != 32 || dims[1] != 32 || dims[2] != 3 {
		return nil, errorf(file, "X has dimensions %v, want 32×32×3×N", x.dims)
	}
	n := dims[3]
	if len(x.real) != n*cifarPixels {
		return nil, errorf(file, "X holds %d bytes, want %d for %v", len(x.real), n*cifarPixels, x.dims)
	}
	if n == 0 {
		return nil, errorf(file, "X holds no images")
	}
	if y.class < mxDOUBLE || y.class > mxUINT64 || y.complex {
		return nil, errorf(file, "y is %s, want a real numeric array", matClassName(y.class))
	}
	if len(y.dims) != 2 || y.dims[0]*y.dims[1] != n || (y.dims[0] != 1 && y.dims[1] != 1) {
		return nil, errorf(file, "y has dimensions %v, want %d×1 to match X", y.dims, n)
	}
	size := matTypeSize(y.typ)
	if size == 0 || len(y.real) != n*size {
		return nil, errorf(file, "y data: storage type %d with %d bytes, want %d numbers", y.typ, len(y.real), n)
	}
	d := &Dataset{N: n, C: 3, H: 32, W: 32, Classes: 10,
		Pixels: make([]uint8, n*cifarPixels), Labels: make([]uint8, n)}
	for i := 0; i < n; i++ {
		v := matValue(order, y.typ, y.real, i)
		if v != math.Trunc(v) || v < 1 || v > 10 {
			return nil, errorf(file, "label %v of image %d is out of range 1..10", v, i)
		}
		d.Labels[i] = uint8(int(v) % 10) // 10 is digit 0
	}
	// Transpose column-major (r, c, ch, n) into image-major CHW.
	for i := 0; i < n; i++ {
		dst := d.Pixels[i*cifarPixels:]
		src := x.real[i*cifarPixels:]
		for ch := 0; ch < 3; ch++ {
			for r := 0; r < 32; r++ {
				row := dst[ch*1024+r*32 : ch*1024+r*32+32]
				for c := range row {
					row[c] = src[r+32*c+1024*ch]
				}
			}
		}
	}
	return d, nil
}

// varNames lists variable names for an error message.
func varNames(vars map[string]*matVar) string {
	if len(vars) == 0 {
		return "none"
	}
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
