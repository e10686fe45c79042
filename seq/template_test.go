package seq

import (
	"errors"
	"slices"
	"testing"
)

var templateCases = []struct {
	in   string
	want []string // expanded with templateValues
	err  bool
}{
	{in: "default", want: []string{"sh010 v003", "ana 2026-12-07", "00:00:41:17", "1001"}},
	{in: "bottom={text} {{{frame}}}", want: []string{"temp comp {1001}"}},
	{in: "top=  ;", want: []string{"  "}},
	{in: "middle={frame}", err: true},
	{in: "top={nope}", err: true},
	{in: "top={frame", err: true},
	{in: "top=a}b", err: true},
	{in: "top=a;top=b", err: true},
	{in: "top", err: true},
	{in: "", err: true},
	{in: "top=a\nb", err: true},
}

var templateValues = Values{"shot": "sh010", "version": "v003", "artist": "ana", "date": "2026-12-07", "frame": "1001", "tc": "00:00:41:17", "text": "temp comp"}

func TestTemplate(t *testing.T) {
	for _, c := range templateCases {
		tp, err := ParseTemplate(c.in)
		if c.err {
			if !errors.Is(err, ErrBadTemplate) {
				t.Errorf("%q: err %v, want ErrBadTemplate", c.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := tp.Expand(templateValues); !slices.Equal(got, c.want) {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzTemplate(f *testing.F) {
	for _, c := range templateCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := ParseTemplate(s)
		if err != nil {
			return
		}
		if got := tp.Expand(templateValues); len(got) != len(tp.Items) || len(got) > len(Positions) {
			t.Fatalf("%q: %d texts for %d items", s, len(got), len(tp.Items))
		}
	})
}
