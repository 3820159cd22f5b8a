// Package tensor holds rdarts' float32 tensors and the arena that recycles
// their buffers between training steps.
//
// Layout is always contiguous and row-major; 4-D tensors are NCHW. A Tensor
// shares its Data slice: constructors that take a slice do not copy it.
// Shape misuse is a programmer error and panics with a "tensor:" message
// before any work is done; data from the world is checked by the callers.
package tensor

import (
	"fmt"
	"math"
)

// Tensor is a contiguous float32 array with a shape.
type Tensor struct {
	Shape []int
	Data  []float32
}

// New returns a zeroed tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, Numel(shape))}
}

// From wraps data (not copied) with a shape; it panics if the sizes differ.
func From(data []float32, shape ...int) *Tensor {
	if n := Numel(shape); n != len(data) {
		panic(fmt.Sprintf("tensor: From: shape %v needs %d values, have %d", shape, n, len(data)))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Numel is the number of elements of a shape.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

// Len is the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Dims returns N, C, H, W of a 4-D tensor; it panics naming op otherwise.
func (t *Tensor) Dims(op string) (n, c, h, w int) {
	if len(t.Shape) != 4 {
		panic(fmt.Sprintf("%s: want a 4-D NCHW tensor, have shape %v", op, t.Shape))
	}
	return t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// HasNaN reports whether any element is NaN or ±Inf.
func (t *Tensor) HasNaN() bool {
	for _, v := range t.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return true
		}
	}
	return false
}

// String prints the shape and the first values, for debugging.
func (t *Tensor) String() string {
	n := min(len(t.Data), 8)
	return fmt.Sprintf("Tensor%v%v", t.Shape, t.Data[:n])
}
