package vmaf_test

import (
	"fmt"

	"github.com/reelmedia/reel/vmaf"
)

// The features of libvmaf's "akiyo multiply" test frame (contrast boosted,
// so VIF and ADM exceed 1): clipped, unclipped, and the NEG model, which
// ignores enhancement gain (libvmaf gives 132.733164 without the clip).
func ExampleModel_Predict() {
	m, err := vmaf.LoadModel("vmaf_v0.6.1")
	if err != nil {
		panic(err)
	}
	// adm2, motion2, vif_scale0..3 as libvmaf printed them (6 decimals).
	x := []float64{1.116701, 0, 1.052402, 1.070149, 1.072518, 1.072513}
	clipped, _ := m.Predict(x, vmaf.ModelOptions{})
	raw, _ := m.Predict(x, vmaf.ModelOptions{DisableClip: true})
	fmt.Printf("%.2f %.2f\n", clipped, raw)
	// Output: 100.00 132.73
}
