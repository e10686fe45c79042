package archer

import (
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"
)

// variance16 must give exactly the double OpenCV's meanStdDev gives (it
// replaced it), for odd and even lengths and the Laplacian's full range.
func TestVariance16MatchesOpenCV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][2]int{{1, 1}, {1, 7}, {3, 5}, {270, 480}, {135, 241}} {
		m := gocv.NewMatWithSize(size[0], size[1], gocv.MatTypeCV16S)
		v, err := m.DataPtrInt16()
		if err != nil {
			t.Fatal(err)
		}
		for i := range v {
			v[i] = int16(rng.IntN(2041) - 1020)
		}
		mean, std := gocv.NewMat(), gocv.NewMat()
		gocv.MeanStdDev(m, &mean, &std)
		sd := std.GetDoubleAt(0, 0)
		if got, want := variance16(v), sd*sd; got != want {
			t.Errorf("%dx%d: variance16 %v, OpenCV %v", size[0], size[1], got, want)
		}
		m.Close()
		mean.Close()
		std.Close()
	}
	if variance16(nil) != 0 {
		t.Error("empty input must give 0")
	}
}
