package archer_test

import (
	"fmt"

	"github.com/reelmedia/reel/archer"
)

// Chunks of 2 to 4 seconds at 25 fps that start on the shots found by an
// analysis; where no cut falls in the window, the chunk is 4 seconds long.
func ExamplePlanChunks() {
	shots := []archer.Boundary{{Frame: 60, Kind: archer.KindCut}, {Frame: 130, Kind: archer.KindDissolve}}
	for _, c := range archer.PlanChunks(archer.CutFrames(shots), 300, 25, 2, 4) {
		fmt.Printf("chunk %d: frames [%d,%d) at cut: %v\n", c.Index, c.Start, c.End, c.AtCut)
	}
	// Output:
	// chunk 0: frames [0,60) at cut: false
	// chunk 1: frames [60,130) at cut: true
	// chunk 2: frames [130,230) at cut: true
	// chunk 3: frames [230,300) at cut: false
}

// An encode that went black where its source did not fails the check.
func ExampleCompareDefects() {
	source := archer.SegmentSet{Black: []archer.Segment{{Start: 100, End: 150, StartTime: 4, EndTime: 6, Duration: 2}}}
	encode := archer.SegmentSet{
		Black:  []archer.Segment{{Start: 100, End: 150, StartTime: 4, EndTime: 6, Duration: 2}},
		Freeze: []archer.Segment{{Start: 200, End: 230, StartTime: 8, EndTime: 9.2, Duration: 1.2}},
	}
	for _, d := range archer.CompareDefects(source, encode) {
		fmt.Println(d.Reason)
	}
	// Output:
	// encode is frozen for 1.20 s at 8.00-9.20 s (frames 200-229), 30 frames of it not frozen in the source
}
