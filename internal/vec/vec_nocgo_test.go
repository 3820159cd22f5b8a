//go:build !cgo

package vec

// setBenchLevel has nothing to select without cgo.
func setBenchLevel(int) {}
