//go:build cgo

package fast

/*
#cgo CFLAGS: -O3 -std=c11
#include "pool.h"
*/
import "C"

import (
	"unsafe"

	"github.com/rdarts/rdarts/internal/kernels"
)

// poolDefault is the pooling implementation the backend uses: with cgo,
// the vectorised C kernels of pool.c.
var poolDefault = poolImpl{maxForward: cMaxPoolForward, avgForward: cAvgPoolForward, avgBackward: cAvgPoolBackward}

// cPool is p in C, with its output size.
func cPool(p kernels.Pool) C.rd_pool {
	return C.rd_pool{h: C.int(p.H), w: C.int(p.W), k: C.int(p.K), s: C.int(p.S), p: C.int(p.P),
		oh: C.int(p.OutH()), ow: C.int(p.OutW())}
}

// cPoolCheck panics if a C kernel could not allocate its scratch.
func cPoolCheck(rc C.int) {
	if rc != 0 {
		panic("fast: pool: out of memory for scratch")
	}
}

func cMaxPoolForward(p kernels.Pool, x, y []float32, arg []int32, lo, hi int) {
	cPoolCheck(C.rd_maxpool_forward(cPool(p), cf(x), cf(y), (*C.int32_t)(unsafe.Pointer(&arg[0])), C.int(lo), C.int(hi)))
}

func cAvgPoolForward(p kernels.Pool, x, y []float32, lo, hi int) {
	cPoolCheck(C.rd_avgpool_forward(cPool(p), cf(x), cf(y), C.int(lo), C.int(hi)))
}

func cAvgPoolBackward(p kernels.Pool, dy, dx []float32, lo, hi int) {
	cPoolCheck(C.rd_avgpool_backward(cPool(p), cf(dy), cf(dx), C.int(lo), C.int(hi)))
}
