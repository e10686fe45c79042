//go:build !matprofile

package archer

// liveMats cannot count without -tags matprofile.
func liveMats() (int, bool) { return 0, false }
