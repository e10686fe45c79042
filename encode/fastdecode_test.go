package encode

import "testing"

// Fast decoding skips H.264's deblocking filter: the same frames, by index,
// slightly different pixels. A clip at a coarse quantiser has visible block
// edges, so at least one frame must differ from the normal decode.
func TestFastDecodeSkipsLoopFilter(t *testing.T) {
	clip := testMedia(t, "mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-frames:v", "30",
		"-c:v", "libx264", "-preset", "fast", "-qp", "40", "-g", "10", "-pix_fmt", "yuv420p")
	in := FileInput(clip)
	exact := readAll(t, in, DecodeOptions{Start: 12, End: 30})
	fast := readAll(t, in, DecodeOptions{Start: 12, End: 30, Fast: true})
	if len(exact) != 18 || len(fast) != 18 {
		t.Fatalf("got %d exact and %d fast frames, want 18", len(exact), len(fast))
	}
	differ := 0
	for i := range exact {
		if exact[i].Index != fast[i].Index {
			t.Fatalf("frame %d: index %d vs %d", i, exact[i].Index, fast[i].Index)
		}
		p := psnrY(exact[i], fast[i])
		if p < 25 {
			t.Errorf("frame %d: fast decode too far from exact (%.1f dB): not the same picture", exact[i].Index, p)
		}
		if p < 100 {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("fast decode gave bit-identical frames: skip_loop_filter had no effect")
	}
}
