package workflows

import (
	"testing"

	"github.com/reelmedia/reel/encode"
)

var fpsCases = []struct {
	in     string
	want   encode.Rational
	ok     bool
	timing string
}{
	{"", encode.Rational{}, true, ""},
	{"25", encode.Rational{Num: 25, Den: 1}, true, "converted to 25 fps"},
	{"25/1", encode.Rational{Num: 25, Den: 1}, true, "converted to 25 fps"},
	{"30000/1001", encode.Rational{Num: 30000, Den: 1001}, true, "converted to 30000/1001 fps"},
	{"1000", encode.Rational{Num: 1000, Den: 1}, true, "converted to 1000 fps"},
	{"1001", encode.Rational{}, false, ""},
	{"0", encode.Rational{}, false, ""},
	{"25/0", encode.Rational{}, false, ""},
	{"-25", encode.Rational{}, false, ""},
	{"29.97", encode.Rational{}, false, ""},
	{"25/", encode.Rational{}, false, ""},
	{"/25", encode.Rational{}, false, ""},
	{"pal", encode.Rational{}, false, ""},
}

func TestParseFPS(t *testing.T) {
	for _, c := range fpsCases {
		got, err := ParseFPS(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseFPS(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
			continue
		}
		if !c.ok {
			continue
		}
		for _, vfr := range []bool{false, true} {
			want := c.timing
			if want == "" {
				want = timingOf(SourceInfo{VFR: vfr}, Rendition{})
			}
			if got := timingOf(SourceInfo{VFR: vfr}, Rendition{FPS: c.in}); got != want {
				t.Errorf("fps %q, VFR %v: timing %q, want %q", c.in, vfr, got, want)
			}
		}
	}
}

// FuzzParseFPS: whatever the text, ParseFPS returns a usable rate or an
// error, never a zero denominator or a rate above MaxFPS.
func FuzzParseFPS(f *testing.F) {
	for _, c := range fpsCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseFPS(s)
		if err != nil || s == "" {
			return
		}
		if r.Num <= 0 || r.Den <= 0 || r.Float() > MaxFPS {
			t.Errorf("ParseFPS(%q) = %v", s, r)
		}
	})
}
