package fast

import (
	"github.com/rdarts/rdarts/internal/kernels/purego"
	"github.com/rdarts/rdarts/internal/parallel"
)

// gemmSplitMin is the m·n·k above which Sgemm splits C over workers; below
// it one thread finishes before a second one would start.
const gemmSplitMin = 64 * 64 * 64

// gemmAlign keeps split boundaries on multiples of the GEMM kernels'
// register blocks so no worker gets a ragged edge it need not have.
const gemmAlign = 32

// Sgemm implements kernels.Backend. Operands are checked before crossing
// into cgo; large products are split into one block of C per worker.
func (Backend) Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	purego.CheckGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	gemm(true, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemm is Sgemm on checked operands; par allows splitting over workers
// (callers already running one goroutine per worker pass false).
func gemm(par bool, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		// Nothing to multiply, and A or B may be empty: C = beta*C here
		// rather than handing a nil pointer to C.
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
			} else if beta != 1 {
				for j := range row {
					row[j] *= beta
				}
			}
		}
		return
	}
	if !par || m*n*k < gemmSplitMin || parallel.Workers() == 1 {
		sgemm1(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if n >= m {
		// Column blocks: op(B) columns j.. start at b[j] (or row j of B
		// when transposed), C columns at c[j].
		blocks := (n + gemmAlign - 1) / gemmAlign
		parallel.For(blocks, 1, func(_, lo, hi int) {
			j0, j1 := lo*gemmAlign, min(hi*gemmAlign, n)
			bOff := j0
			if tB {
				bOff = j0 * ldb
			}
			sgemm1(tA, tB, m, j1-j0, k, alpha, a, lda, b[bOff:], ldb, beta, c[j0:], ldc)
		})
		return
	}
	// Row blocks: op(A) rows i.. start at row i of A (or a[i] when
	// transposed), C rows at c[i*ldc].
	blocks := (m + gemmAlign - 1) / gemmAlign
	parallel.For(blocks, 1, func(_, lo, hi int) {
		i0, i1 := lo*gemmAlign, min(hi*gemmAlign, m)
		aOff := i0 * lda
		if tA {
			aOff = i0
		}
		sgemm1(tA, tB, i1-i0, n, k, alpha, a[aOff:], lda, b, ldb, beta, c[i0*ldc:], ldc)
	})
}
