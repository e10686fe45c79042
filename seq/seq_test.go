package seq

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reelmedia/reel/media"
)

var patternCases = []struct {
	in                  string
	dir, prefix, suffix string
	pad                 int
	err                 bool
}{
	{in: "sh010.####.exr", prefix: "sh010.", suffix: ".exr", pad: 4},
	{in: "/renders/sh010/sh010_comp_v003.%04d.exr", dir: "/renders/sh010", prefix: "sh010_comp_v003.", suffix: ".exr", pad: 4},
	{in: "s3://bucket/shots/a.@@@@@@.dpx", dir: "s3://bucket/shots", prefix: "a.", suffix: ".dpx", pad: 6},
	{in: "frame_%d.png", prefix: "frame_", suffix: ".png", pad: 1},
	{in: "x#.tif", prefix: "x", suffix: ".tif", pad: 1},
	{in: "plain.exr", err: true},
	{in: "two.####.####.exr", err: true},
	{in: "mixed.%04d.####.exr", err: true},
	{in: "name.%s.exr", err: true},
	{in: "name.%n.exr", err: true},
	{in: "name.%4d.exr", err: true},
	{in: "name.%099d.exr", err: true},
	{in: "name.############.exr", err: true},
	{in: "dir####/x.####.exr", err: true},
	{in: "a\x00.####.exr", err: true},
	{in: "a\n.####.exr", err: true},
	{in: "dir/", err: true},
	{in: "end%", err: true},
	{in: "", err: true},
}

func TestParsePattern(t *testing.T) {
	for _, c := range patternCases {
		p, err := ParsePattern(c.in)
		if c.err {
			if !errors.Is(err, ErrBadPattern) || !media.IsBadInput(err) {
				t.Errorf("%q: err %v, want ErrBadPattern", c.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		want := Pattern{Dir: c.dir, Prefix: c.prefix, Suffix: c.suffix, Pad: c.pad}
		if p != want {
			t.Errorf("%q: %+v, want %+v", c.in, p, want)
		}
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, c := range patternCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePattern(s)
		if err != nil {
			return
		}
		// a parsed pattern names its own frames, and its printf form parses
		// back to it
		for _, n := range []int{0, 7, 1001, 123456} {
			if got, ok := p.Match(p.Name(n)); !ok || got != n {
				t.Fatalf("%q: Match(Name(%d)) = %d, %v", s, n, got, ok)
			}
		}
		q, err := ParsePattern(p.String())
		if err != nil || q != p {
			t.Fatalf("%q: String %q parses to %+v, %v", s, p.String(), q, err)
		}
	})
}

func TestMatch(t *testing.T) {
	p, _ := ParsePattern("a.####.exr")
	cases := map[string]int{"a.1001.exr": 1001, "a.0001.exr": 1, "a.10000.exr": 10000, "a.001.exr": -1, "a.00001.exr": -1, "a.1x01.exr": -1, "b.1001.exr": -1, "a.1001.exr.bak": -1, "a..exr": -1}
	for name, want := range cases {
		n, ok := p.Match(name)
		if (want >= 0) != ok || (ok && n != want) {
			t.Errorf("Match(%q) = %d, %v; want %d", name, n, ok, want)
		}
	}
	if got := p.Name(7); got != "a.0007.exr" {
		t.Errorf("Name(7) = %q", got)
	}
	u, _ := ParsePattern("b.%d.png")
	if n, ok := u.Match("b.12.png"); !ok || n != 12 {
		t.Errorf("unpadded Match = %d, %v", n, ok)
	}
	if _, ok := u.Match("b.012.png"); ok {
		t.Error("unpadded pattern matched a zero-padded number")
	}
}

var rangeCases = []struct {
	in   string
	want Range
	err  bool
}{
	{in: "1001-1240", want: Range{1001, 1240, 1}},
	{in: "1001-1240x2", want: Range{1001, 1240, 2}},
	{in: "1", want: Range{1, 1, 1}},
	{in: "0-0", want: Range{0, 0, 1}},
	{in: "10-1", err: true},
	{in: "-5-10", err: true},
	{in: "1-10x0", err: true},
	{in: "1-10x", err: true},
	{in: "a-b", err: true},
	{in: "0-999999999", err: true},
	{in: "", err: true},
	{in: "1-2-3", err: true},
}

func TestParseRange(t *testing.T) {
	for _, c := range rangeCases {
		r, err := ParseRange(c.in)
		if c.err {
			if !errors.Is(err, ErrBadRange) {
				t.Errorf("%q: err %v, want ErrBadRange", c.in, err)
			}
			continue
		}
		if err != nil || r != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.in, r, err, c.want)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, c := range rangeCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRange(s)
		if err != nil {
			return
		}
		if r.Count() < 1 || r.Count() > MaxFrames {
			t.Fatalf("%q: %d frames", s, r.Count())
		}
	})
}

// listing is a Lister over fixed names, for the planner's tables.
type listing []string

func (l listing) List(context.Context, string) ([]string, error) { return l, nil }

func names(p string, nums ...int) listing {
	pt, _ := ParsePattern(p)
	var l listing
	for _, n := range nums {
		l = append(l, pt.Name(n))
	}
	return l
}

func span(a, b, step int) []int {
	var out []int
	for n := a; n <= b; n += step {
		out = append(out, n)
	}
	return out
}

func TestPlan(t *testing.T) {
	ctx := context.Background()
	withGaps := append(append(span(1001, 1002, 1), span(1006, 1009, 1)...), 1011, 1012)
	cases := []struct {
		name    string
		files   listing
		rng     string
		pol     Policy
		frames  []int // numbers in the plan
		files2  []int // the frame whose file each plan frame reads (-1 black)
		missing []int
		errIs   error
		errHas  string
	}{
		{name: "from 1", files: names("a.####.exr", span(1, 5, 1)...), frames: span(1, 5, 1), files2: span(1, 5, 1)},
		{name: "from 1001", files: names("a.####.exr", span(1001, 1010, 1)...), frames: span(1001, 1010, 1), files2: span(1001, 1010, 1)},
		{name: "step 2", files: names("a.####.exr", span(1001, 1010, 1)...), rng: "1001-1010x2", frames: span(1001, 1009, 2), files2: span(1001, 1009, 2)},
		{name: "rendered on twos", files: names("a.####.exr", span(1001, 1009, 2)...), rng: "1001-1009x2", frames: span(1001, 1009, 2), files2: span(1001, 1009, 2)},
		{name: "gaps error", files: names("a.####.exr", withGaps...), errIs: ErrMissingFrames, errHas: "missing frames 1003-1005, 1010 (4 of 12"},
		{name: "gaps black", files: names("a.####.exr", withGaps...), pol: Black, frames: span(1001, 1012, 1),
			files2: []int{1001, 1002, -1, -1, -1, 1006, 1007, 1008, 1009, -1, 1011, 1012}, missing: []int{1003, 1004, 1005, 1010}},
		{name: "gaps hold", files: names("a.####.exr", withGaps...), pol: Hold, frames: span(1001, 1012, 1),
			files2: []int{1001, 1002, 1002, 1002, 1002, 1006, 1007, 1008, 1009, 1009, 1011, 1012}, missing: []int{1003, 1004, 1005, 1010}},
		{name: "hold at the start", files: names("a.####.exr", 3, 4), rng: "1-4", pol: Hold, frames: span(1, 4, 1), files2: []int{3, 3, 3, 4}, missing: []int{1, 2}},
		{name: "step gaps error", files: names("a.####.exr", 1001, 1003, 1009), rng: "1001-1009x2", errIs: ErrMissingFrames, errHas: "1005-1007x2"},
		{name: "range outside", files: names("a.####.exr", span(1, 5, 1)...), rng: "100-200", errIs: ErrNoFrames},
		{name: "nothing matches", files: listing{"other.txt", "b.0001.exr"}, errIs: ErrNoFrames, errHas: "no file matches"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _ := ParsePattern("/r/a.####.exr")
			found, err := Find(ctx, c.files, p)
			var plan Plan
			if err == nil {
				var r Range
				if c.rng != "" {
					if r, err = ParseRange(c.rng); err != nil {
						t.Fatal(err)
					}
				}
				plan, err = NewPlan(found, r, c.pol)
			}
			if c.errIs != nil {
				if !errors.Is(err, c.errIs) || !strings.Contains(fmt.Sprint(err), c.errHas) {
					t.Fatalf("err %v, want %v containing %q", err, c.errIs, c.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got, gotFiles []int
			for _, f := range plan.Frames {
				got = append(got, f.Number)
				n := -1
				if f.File != "" {
					n, _ = p.Match(filepath.Base(f.File))
					if !strings.HasPrefix(f.File, "/r/") {
						t.Errorf("file %q lost its directory", f.File)
					}
				}
				gotFiles = append(gotFiles, n)
				if f.Missing != slices.Contains(c.missing, f.Number) {
					t.Errorf("frame %d: Missing %v", f.Number, f.Missing)
				}
			}
			if !slices.Equal(got, c.frames) || !slices.Equal(gotFiles, c.files2) || !slices.Equal(plan.Missing, c.missing) {
				t.Errorf("plan %v reading %v missing %v; want %v reading %v missing %v", got, gotFiles, plan.Missing, c.frames, c.files2, c.missing)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	ctx := context.Background()
	one := append(names("sh010_v003.####.exr", span(1001, 1005, 1)...), "notes.txt", ".sh010_v003.1006.exr.part", "sh010_v003.mov")
	f, err := Detect(ctx, one, "/r")
	if err != nil {
		t.Fatal(err)
	}
	if f.Pattern.String() != "/r/sh010_v003.%04d.exr" || f.Range() != (Range{1001, 1005, 1}) {
		t.Errorf("detected %s %v", f.Pattern, f.Range())
	}
	unpadded := names("f_%d.png", span(8, 12, 1)...)
	if f, err := Detect(ctx, unpadded, ""); err != nil || f.Pattern.File() != "f_%d.png" || len(f.Numbers) != 5 {
		t.Errorf("unpadded: %+v %v", f, err)
	}
	two := append(names("a.####.exr", 1, 2), names("b.####.dpx", 5, 6, 7)...)
	_, err = Detect(ctx, two, "/r")
	if !errors.Is(err, ErrSeveralSequences) || !strings.Contains(err.Error(), "several sequences (2), name one: a.%04d.exr (1-2, 2 frames); b.%04d.dpx (5-7, 3 frames)") {
		t.Errorf("two sequences: %v", err)
	}
	if _, err := Detect(ctx, listing{"readme.txt"}, "/r"); !errors.Is(err, ErrNoFrames) {
		t.Errorf("no sequence: %v", err)
	}
}

func TestDirLister(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.0001.png", "a.0002.png"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "a.0003.png"), 0o755)
	f, err := Detect(context.Background(), DirLister{}, dir)
	if err != nil || !slices.Equal(f.Numbers, []int{1, 2}) {
		t.Fatalf("%+v %v", f, err)
	}
	if _, err := (DirLister{}).List(context.Background(), filepath.Join(dir, "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
}

func TestCompact(t *testing.T) {
	cases := []struct {
		in   []int
		step int
		want string
	}{
		{[]int{1003, 1004, 1005, 1010}, 1, "1003-1005, 1010"},
		{[]int{1}, 1, "1"},
		{[]int{1, 3, 5, 6}, 2, "1-5x2, 6"},
		{nil, 1, ""},
	}
	for _, c := range cases {
		if got := Compact(c.in, c.step); got != c.want {
			t.Errorf("Compact(%v, %d) = %q, want %q", c.in, c.step, got, c.want)
		}
	}
}
