package tensor

import "unsafe"

// Arena recycles buffers between steps. A search step allocates the same
// sizes every time, so after the first step Get finds every buffer on its
// free list and the garbage collector has nothing to do.
//
// An Arena is not safe for concurrent use; one training loop owns it.
type Arena struct {
	free map[int][][]float32
	used [][]float32
	// early holds buffers given back before Release (Put); they are still
	// on the used list, so Get hands them out again without recording them.
	early map[int][][]float32
}

// NewArena returns an empty arena.
func NewArena() *Arena {
	return &Arena{free: map[int][][]float32{}, early: map[int][][]float32{}}
}

// Put gives a buffer obtained from Get back before Release, so a later Get
// can reuse it: the tape frees each gradient once it has been propagated.
// The buffer must not be used afterwards.
func (a *Arena) Put(buf []float32) {
	a.early[len(buf)] = append(a.early[len(buf)], buf)
}

// Get returns a tensor whose contents are undefined; the caller overwrites it.
func (a *Arena) Get(shape ...int) *Tensor {
	n := Numel(shape)
	if l := a.early[n]; len(l) > 0 {
		buf := l[len(l)-1]
		a.early[n] = l[:len(l)-1]
		return &Tensor{Shape: append([]int(nil), shape...), Data: buf}
	}
	var buf []float32
	if l := a.free[n]; len(l) > 0 {
		buf = l[len(l)-1]
		a.free[n] = l[:len(l)-1]
	} else {
		buf = make([]float32, n)
	}
	a.used = append(a.used, buf)
	return &Tensor{Shape: append([]int(nil), shape...), Data: buf}
}

// Int32s returns an int32 buffer of length n (contents undefined), carved
// from a float32 buffer of the arena: max pooling's winner indices are as
// large as its output and, made with make, were the step's main garbage.
func (a *Arena) Int32s(n int) []int32 {
	if n == 0 {
		return nil
	}
	buf := a.Get(n).Data
	return unsafe.Slice((*int32)(unsafe.Pointer(&buf[0])), n)
}

// Zeros returns a zeroed tensor.
func (a *Arena) Zeros(shape ...int) *Tensor {
	t := a.Get(shape...)
	clear(t.Data)
	return t
}

// Release returns every buffer handed out since the last Release. Tensors
// obtained before must not be used afterwards.
func (a *Arena) Release() {
	for _, b := range a.used {
		a.free[len(b)] = append(a.free[len(b)], b)
	}
	clear(a.used)
	a.used = a.used[:0]
	clear(a.early)
}

// Bytes reports the memory held by the arena (free and in use).
func (a *Arena) Bytes() int {
	n := 0
	for _, l := range a.free {
		for _, b := range l {
			n += 4 * len(b)
		}
	}
	for _, b := range a.used {
		n += 4 * len(b)
	}
	return n
}
