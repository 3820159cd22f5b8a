package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// A minimal MATLAB Level-5 MAT reader: just what SVHN files need. It reads
// top-level numeric matrices, plain or inside miCOMPRESSED (zlib) elements;
// cells, structs, sparse and complex arrays are recognised and skipped.

// MAT data types (element tags).
const (
	miINT8       = 1
	miUINT8      = 2
	miINT16      = 3
	miUINT16     = 4
	miINT32      = 5
	miUINT32     = 6
	miSINGLE     = 7
	miDOUBLE     = 9
	miINT64      = 12
	miUINT64     = 13
	miMATRIX     = 14
	miCOMPRESSED = 15
)

// MAT array classes (array flags).
const (
	mxDOUBLE = 6
	mxUINT8  = 9
	mxUINT64 = 15
)

// matClassNames names array classes for error messages.
var matClassNames = map[uint8]string{1: "cell", 2: "struct", 3: "object", 4: "char", 5: "sparse",
	6: "double", 7: "single", 8: "int8", 9: "uint8", 10: "int16", 11: "uint16", 12: "int32",
	13: "uint32", 14: "int64", 15: "uint64"}

func matClassName(c uint8) string {
	if s, ok := matClassNames[c]; ok {
		return s
	}
	return fmt.Sprintf("class %d", c)
}

// matVar is one top-level variable.
type matVar struct {
	name    string
	class   uint8
	complex bool
	dims    []int
	typ     uint32 // storage type of the real part
	real    []byte // real part, still in file byte order
}

// matMaxInflate bounds a compressed element's inflated size (SVHN's train
// X is 225 MB), so corrupt input fails rather than exhausting memory.
const matMaxInflate = 1 << 31

// parseMAT returns the file's top-level variables by name.
func parseMAT(file string, b []byte) (map[string]*matVar, binary.ByteOrder, error) {
	if len(b) < 128 {
		return nil, nil, errorf(file, "not a MAT file: %d bytes, shorter than the 128-byte header", len(b))
	}
	if bytes.HasPrefix(b, []byte("\x89HDF")) || bytes.Contains(b[:116], []byte("MATLAB 7.3")) {
		return nil, nil, errorf(file, "MAT v7.3 (HDF5) is not supported; save with -v7 or -v6")
	}
	var order binary.ByteOrder
	switch string(b[126:128]) {
	case "IM":
		order = binary.LittleEndian
	case "MI":
		order = binary.BigEndian
	default:
		return nil, nil, errorf(file, "not a MAT Level-5 file: endian indicator %q", b[126:128])
	}
	if v := order.Uint16(b[124:]); v != 0x0100 {
		return nil, nil, errorf(file, "unsupported MAT version %#x", v)
	}
	p := matParser{file: file, order: order, vars: map[string]*matVar{}}
	if err := p.elements(b[128:], true); err != nil {
		return nil, nil, err
	}
	return p.vars, order, nil
}

type matParser struct {
	file  string
	order binary.ByteOrder
	vars  map[string]*matVar
}

// element reads the data element at the start of b, returning its type,
// its data and the rest of b after it (padding included).
func (p *matParser) element(b []byte) (typ uint32, data, rest []byte, err error) {
	if len(b) < 8 {
		return 0, nil, nil, errorf(p.file, "truncated data element tag (%d bytes left)", len(b))
	}
	first := p.order.Uint32(b)
	if first>>16 != 0 { // small element: size and type share 4 bytes, data in the next 4
		n := int(first >> 16)
		if n > 4 {
			return 0, nil, nil, errorf(p.file, "small data element claims %d bytes (at most 4)", n)
		}
		return first & 0xffff, b[4 : 4+n], b[8:], nil
	}
	n := uint64(p.order.Uint32(b[4:]))
	if n > uint64(len(b)-8) {
		return 0, nil, nil, errorf(p.file, "truncated: data element of type %d claims %d bytes, %d left", first, n, len(b)-8)
	}
	end := 8 + n
	if first != miCOMPRESSED { // compressed elements are not padded
		end = min((end+7)&^7, uint64(len(b)))
	}
	return first, b[8 : 8+n], b[end:], nil
}

// elements parses a sequence of top-level elements; compressed ones hold
// further elements (top is false there, so they may not nest again).
func (p *matParser) elements(b []byte, top bool) error {
	for len(b) > 0 {
		typ, data, rest, err := p.element(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case typ == miCOMPRESSED && top:
			inner, err := p.inflate(data)
			if err != nil {
				return err
			}
			if err := p.elements(inner, false); err != nil {
				return err
			}
		case typ == miMATRIX:
			if err := p.matrix(data); err != nil {
				return err
			}
		default:
			return errorf(p.file, "unexpected top-level data element of type %d", typ)
		}
	}
	return nil
}

func (p *matParser) inflate(data []byte) ([]byte, error) {
	z, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, errorf(p.file, "bad compressed element: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(z, matMaxInflate+1))
	if err != nil {
		return nil, errorf(p.file, "bad compressed element: %v", err)
	}
	if len(out) > matMaxInflate {
		return nil, errorf(p.file, "compressed element inflates beyond %d bytes", matMaxInflate)
	}
	return out, nil
}

// matrix parses the subelements of a miMATRIX: array flags, dimensions,
// name and, for numeric classes, the real part.
func (p *matParser) matrix(b []byte) error {
	if len(b) == 0 {
		return nil // an empty, unnamed array
	}
	typ, flags, b, err := p.element(b)
	if err != nil {
		return err
	}
	if typ != miUINT32 || len(flags) != 8 {
		return errorf(p.file, "matrix without array flags (element type %d, %d bytes)", typ, len(flags))
	}
	v := &matVar{class: uint8(p.order.Uint32(flags)), complex: p.order.Uint32(flags)&0x800 != 0}
	typ, dims, b, err := p.element(b)
	if err != nil {
		return err
	}
	if typ != miINT32 || len(dims) == 0 || len(dims)%4 != 0 {
		return errorf(p.file, "matrix without dimensions (element type %d, %d bytes)", typ, len(dims))
	}
	for i := 0; i < len(dims); i += 4 {
		d := int32(p.order.Uint32(dims[i:]))
		if d < 0 {
			return errorf(p.file, "negative matrix dimension %d", d)
		}
		v.dims = append(v.dims, int(d))
	}
	typ, name, b, err := p.element(b)
	if err != nil {
		return err
	}
	if typ != miINT8 {
		return errorf(p.file, "matrix without a name (element type %d)", typ)
	}
	v.name = string(name)
	if v.class >= mxDOUBLE && v.class <= mxUINT64 && !v.complex {
		if v.typ, v.real, _, err = p.element(b); err != nil {
			return fmt.Errorf("%w (real part of %q)", err, v.name)
		}
	}
	p.vars[v.name] = v
	return nil
}

// matTypeSize is the byte size of a numeric storage type, 0 if not numeric.
func matTypeSize(typ uint32) int {
	switch typ {
	case miINT8, miUINT8:
		return 1
	case miINT16, miUINT16:
		return 2
	case miINT32, miUINT32, miSINGLE:
		return 4
	case miDOUBLE, miINT64, miUINT64:
		return 8
	}
	return 0
}

// matValue decodes element i of real data stored as typ.
func matValue(order binary.ByteOrder, typ uint32, b []byte, i int) float64 {
	switch typ {
	case miINT8:
		return float64(int8(b[i]))
	case miUINT8:
		return float64(b[i])
	case miINT16:
		return float64(int16(order.Uint16(b[2*i:])))
	case miUINT16:
		return float64(order.Uint16(b[2*i:]))
	case miINT32:
		return float64(int32(order.Uint32(b[4*i:])))
	case miUINT32:
		return float64(order.Uint32(b[4*i:]))
	case miSINGLE:
		return float64(math.Float32frombits(order.Uint32(b[4*i:])))
	case miDOUBLE:
		return math.Float64frombits(order.Uint64(b[8*i:]))
	case miINT64:
		return float64(int64(order.Uint64(b[8*i:])))
	case miUINT64:
		return float64(order.Uint64(b[8*i:]))
	}
	return math.NaN()
}
