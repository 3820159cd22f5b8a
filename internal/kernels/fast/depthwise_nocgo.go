//go:build !cgo

package fast

// dwDefault is the depthwise implementation the backend uses: without cgo,
// the Go loops.
var dwDefault = goDW

// setDWFlat does nothing: the Go loops have no flattened variant.
func setDWFlat(bool) {}
