package testmedia

import (
	"testing"
)

// Every shot kind renders at the spec's size and length, and the clip
// changes picture at each cut (a cut is where two frames in a row differ
// while the frames of a static shot repeat).
func TestMultiShot(t *testing.T) {
	s := MultiShotSpec{Width: 160, Height: 90, FPS: 24, ShotFrames: 6, Seed: 3,
		Kinds: []string{Static, Moderate, High, Static, Moderate, High, Static, Moderate, High, Moderate, High}}
	path, cuts := MultiShot(t, s)
	md5s := FrameMD5s(t, path)
	if len(md5s) != len(s.Kinds)*s.ShotFrames || len(cuts) != len(s.Kinds) || cuts[1] != 6 {
		t.Fatalf("%d frames, cuts %v", len(md5s), cuts)
	}
	for i, c := range cuts[1:] {
		if md5s[c] == md5s[c-1] {
			t.Errorf("no change at the cut before shot %d (frame %d)", i+1, c)
		}
	}
	if md5s[0] != md5s[1] || md5s[18] != md5s[19] {
		t.Error("a static shot moves")
	}
	if md5s[12] == md5s[13] {
		t.Error("a high-motion shot stands still")
	}
	if again, _ := MultiShot(t, s); again != path {
		t.Errorf("the same spec made %s and %s", path, again)
	}
}
