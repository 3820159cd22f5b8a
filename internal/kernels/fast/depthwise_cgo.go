//go:build cgo

package fast

/*
#cgo CFLAGS: -O3 -std=c11
#include "depthwise.h"
*/
import "C"

import (
	"unsafe"

	"github.com/rdarts/rdarts/internal/kernels"
)

// dwDefault is the depthwise implementation the backend uses: with cgo,
// the vectorised C kernels of depthwise.c.
var dwDefault = dwImpl{forward: cForward, backwardData: cBackwardData, backwardFilter: cBackwardFilter}

// cConv is p in C, with its output size.
func cConv(p kernels.Conv) C.rd_dw {
	return C.rd_dw{
		n: C.int(p.N), c: C.int(p.C), h: C.int(p.H), w: C.int(p.W),
		kh: C.int(p.KH), kw: C.int(p.KW), sh: C.int(p.SH), sw: C.int(p.SW),
		ph: C.int(p.PH), pw: C.int(p.PW), dh: C.int(p.DH), dw: C.int(p.DW),
		oh: C.int(p.OutH()), ow: C.int(p.OutW()),
	}
}

// cf is the address of a checked, non-empty slice for C.
func cf(s []float32) *C.float { return (*C.float)(unsafe.Pointer(&s[0])) }

// cCheck panics if a C kernel could not allocate its scratch.
func cCheck(rc C.int) {
	if rc != 0 {
		panic("fast: depthwise: out of memory for scratch")
	}
}

func cForward(p kernels.Conv, x, w, y []float32, lo, hi int) {
	cCheck(C.rd_dw_forward(cConv(p), cf(x), cf(w), cf(y), C.int(lo), C.int(hi)))
}

func cBackwardData(p kernels.Conv, dy, w, dx []float32, add bool, lo, hi int) {
	a := C.int(0)
	if add {
		a = 1
	}
	cCheck(C.rd_dw_backward_data(cConv(p), cf(dy), cf(w), cf(dx), C.int(lo), C.int(hi), a))
}

func cBackwardFilter(p kernels.Conv, x, dy, dw []float32, lo, hi int) {
	cCheck(C.rd_dw_backward_filter(cConv(p), cf(x), cf(dy), cf(dw), C.int(lo), C.int(hi)))
}

// setDWFlat turns the C kernels' flattened loops for narrow planes on or
// off (tests hold the two against each other); not while kernels run.
func setDWFlat(on bool) {
	v := C.int(0)
	if on {
		v = 1
	}
	C.rd_dw_set_flat(v)
}
