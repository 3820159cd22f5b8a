//go:build !cgo

package fast

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// sgemm1 falls back to gonum's blocked pure-Go GEMM when cgo is off. It
// may start goroutines of its own; results are still deterministic, as
// gonum gives each block of C to one goroutine.
func sgemm1(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	gonum.Implementation{}.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GEMM names the matrix-multiply library the backend calls.
const GEMM = "gonum (pure Go)"
