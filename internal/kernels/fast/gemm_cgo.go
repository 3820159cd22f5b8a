//go:build cgo

package fast

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "unsafe"

// OpenBLAS's own threads would fight the goroutines for the cores; Go
// does the splitting instead (measured: two goroutines on one-thread
// OpenBLAS match OpenBLAS's two threads on big GEMMs and win on the
// small per-image ones, which OpenBLAS threads poorly).
func init() { C.openblas_set_num_threads(1) }

// sgemm1 is one single-threaded OpenBLAS call on checked operands with
// m, n, k > 0 (so the slices are non-empty).
func sgemm1(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := uint32(C.CblasNoTrans), uint32(C.CblasNoTrans)
	if tA {
		ta = C.CblasTrans
	}
	if tB {
		tb = C.CblasTrans
	}
	C.cblas_sgemm(C.CblasRowMajor, C.enum_CBLAS_TRANSPOSE(ta), C.enum_CBLAS_TRANSPOSE(tb),
		C.blasint(m), C.blasint(n), C.blasint(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb), C.float(beta),
		(*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}

// GEMM names the matrix-multiply library the backend calls.
const GEMM = "OpenBLAS"
