package hull

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// shotsFromBytes reads shots from fuzz bytes: per shot a frame count byte and
// a point count byte, then per point two float32s (bits, VMAF).
func shotsFromBytes(b []byte) []Shot {
	var shots []Shot
	for len(b) >= 2 && len(shots) < 16 {
		s := Shot{Frames: int(b[0])}
		n := int(b[1] % 16)
		b = b[2:]
		for ; n > 0 && len(b) >= 8; n-- {
			s.Points = append(s.Points, Point{
				Bits: float64(math.Float32frombits(binary.LittleEndian.Uint32(b))),
				VMAF: float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4:]))),
			})
			b = b[8:]
		}
		shots = append(shots, s)
	}
	return shots
}

func shotsToBytes(shots []Shot) []byte {
	var b []byte
	for _, s := range shots {
		b = append(b, byte(s.Frames), byte(len(s.Points)))
		for _, p := range s.Points {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(p.Bits)))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(p.VMAF)))
		}
	}
	return b
}

// FuzzSweep: any input either fails with ErrInvalidInput or gives a title
// hull whose choices lie on the shot hulls with bits rising; the worked
// example's shots are the seed.
func FuzzSweep(f *testing.F) {
	f.Add(shotsToBytes(twoShots))
	f.Add(shotsToBytes([]Shot{{Frames: 3, Points: []Point{{Bits: 100, VMAF: 50}, {Bits: 200, VMAF: 70}, {Bits: 400, VMAF: 75}, {Bits: 800, VMAF: 90}}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		shots := shotsFromBytes(b)
		title, err := Sweep(shots)
		if err != nil {
			return
		}
		for k, p := range title.Points {
			for i, c := range title.Choice(k) {
				if !slices.Contains(shots[i].Hull(), c) {
					t.Fatalf("point %d: shot %d choice %d off its hull", k, i, c)
				}
			}
			// Bits rise strictly in exact arithmetic; a float sum may
			// absorb a step of 1e-15 bits next to 44 (a fuzzer's find),
			// so here they only must not fall.
			if k > 0 && p.Bits < title.Points[k-1].Bits {
				t.Fatalf("bits fall at point %d", k)
			}
		}
		_, _ = ByQuality(title, 50, Percentile5, 24, 3)
		_, _ = ByBitrate(title, 1e5, 24, HarmonicMean, 3)
	})
}
