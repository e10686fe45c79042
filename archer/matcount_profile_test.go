//go:build matprofile

package archer

import "gocv.io/x/gocv"

// liveMats counts the gocv Mats not yet closed (gocv built with -tags matprofile).
func liveMats() (int, bool) { return gocv.MatProfile.Count(), true }
