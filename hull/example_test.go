package hull_test

import (
	"fmt"

	"github.com/reelmedia/reel/hull"
)

// Two shots, each encoded at a few points; the title hull and a rung of at
// most 200 b/s at 10 fps.
func ExampleSweep() {
	shots := []hull.Shot{
		{Frames: 10, Points: []hull.Point{{Bits: 100, VMAF: 40}, {Bits: 200, VMAF: 60}, {Bits: 400, VMAF: 70}}},
		{Frames: 20, Points: []hull.Point{{Bits: 100, VMAF: 50}, {Bits: 300, VMAF: 80}}},
	}
	title, err := hull.Sweep(shots)
	if err != nil {
		fmt.Println(err)
		return
	}
	for k, p := range title.Points {
		fmt.Printf("λ %-4v %3.0f bits  choice %v  mean VMAF %.2f\n", p.Lambda, p.Bits, title.Choice(k), title.Pooled(title.Choice(k), hull.Mean))
	}
	rung, err := hull.ByBitrate(title, 200, 10, hull.Mean, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("rung: point %d, %.1f b/s, mean VMAF %.2f\n", rung.Index, rung.Bitrate, rung.Quality)
	// Output:
	// λ +Inf 200 bits  choice [0 0]  mean VMAF 46.67
	// λ 3    400 bits  choice [0 1]  mean VMAF 66.67
	// λ 2    500 bits  choice [1 1]  mean VMAF 73.33
	// λ 0.5  700 bits  choice [2 1]  mean VMAF 76.67
	// rung: point 2, 166.7 b/s, mean VMAF 73.33
}
