//go:build !cgo

package fast

// poolDefault is the pooling implementation the backend uses: without cgo,
// the Go loops.
var poolDefault = goPool
