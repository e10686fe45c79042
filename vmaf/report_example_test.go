package vmaf_test

import (
	"fmt"
	"os"

	"github.com/reelmedia/reel/vmaf"
)

// Pool per-frame scores and write them in libvmaf's JSON layout.
func ExampleWriteJSON() {
	r := &vmaf.Result{Version: vmaf.Version, Frames: []vmaf.FrameScore{
		{Index: 0, Metrics: map[string]float64{"vmaf": 90, "psnr_y": 40}},
		{Index: 1, Metrics: map[string]float64{"vmaf": 80, "psnr_y": 38}},
	}}
	r.PoolAll()
	r.Aggregate = nil // keep the example short: no percentiles
	if err := vmaf.WriteJSON(os.Stdout, r); err != nil {
		panic(err)
	}
	low, _ := r.Pooled["vmaf"].Get(vmaf.PoolLow1)
	fmt.Printf("1%% low: %.1f\n", low)
	// Output:
	// {
	//   "version": "3.2.0",
	//   "frames": [
	//     {
	//       "frameNum": 0,
	//       "metrics": {
	//         "psnr_y": 40.000000,
	//         "vmaf": 90.000000
	//       }
	//     },
	//     {
	//       "frameNum": 1,
	//       "metrics": {
	//         "psnr_y": 38.000000,
	//         "vmaf": 80.000000
	//       }
	//     }
	//   ],
	//   "pooled_metrics": {
	//     "psnr_y": {
	//       "min": 38.000000,
	//       "max": 40.000000,
	//       "mean": 39.000000,
	//       "harmonic_mean": 38.975000
	//     },
	//     "vmaf": {
	//       "min": 80.000000,
	//       "max": 90.000000,
	//       "mean": 85.000000,
	//       "harmonic_mean": 84.709302
	//     }
	//   },
	//   "aggregate_metrics": {
	//   }
	// }
	// 1% low: 80.0
}
