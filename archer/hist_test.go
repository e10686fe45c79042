package archer

import (
	"context"
	"math/rand/v2"
	"testing"
)

// histogramRef is the definition histogram must match.
func histogramRef(pix []byte) (h [256]uint32) {
	for _, v := range pix {
		h[v]++
	}
	return h
}

func TestHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 9, 17, 64, 1001, 480 * 270} {
		for _, kind := range []string{"noise", "flat", "runs"} {
			pix := make([]byte, n)
			for i := range pix {
				switch kind {
				case "noise":
					pix[i] = byte(rng.IntN(256))
				case "flat":
					pix[i] = 255 // every sample on one counter
				case "runs": // runs of 1 to 20 equal samples, straddling the 8-sample loads
					if i == 0 || rng.IntN(10) == 0 {
						pix[i] = byte(rng.IntN(256))
					} else {
						pix[i] = pix[i-1]
					}
				}
			}
			var got [256]uint32
			got[7] = 99 // stale counts must be cleared
			histogram(pix, &got)
			if want := histogramRef(pix); got != want {
				t.Errorf("%d samples of %s: histogram differs from the definition", n, kind)
			}
		}
	}
}

// BenchmarkHistogram270p counts the luma of the 1080p benchmark clip's
// frames at the analysis size (480×270), as the base analyzer does.
func BenchmarkHistogram270p(b *testing.B) {
	needFFmpeg(b)
	pr, err := openPipe(benchClip(b), 480, 270, 0, 0, clipFPS, false)
	if err != nil {
		b.Fatal(err)
	}
	var planes [][]byte
	for {
		f, err := pr.ReadFrame(context.Background())
		if err != nil {
			break
		}
		g := f.Clone().Planes[0]
		planes = append(planes, g.Pix[:g.Width*g.Height])
	}
	pr.Close()
	var h [256]uint32
	b.SetBytes(480 * 270)
	for i := 0; b.Loop(); i++ {
		histogram(planes[i%len(planes)], &h)
	}
}
