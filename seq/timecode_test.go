package seq

import (
	"errors"
	"testing"
)

func TestTimecode(t *testing.T) {
	cases := []struct {
		n    int
		rate string
		df   bool
		want string
	}{
		{0, "24", false, "00:00:00:00"},
		{1001, "24", false, "00:00:41:17"},
		{86400, "24", false, "01:00:00:00"},
		{86400 * 24, "24", false, "00:00:00:00"}, // wraps at 24 h
		{1001, "25", false, "00:00:40:01"},
		{1001, "23.976", false, "00:00:41:17"}, // counts at 24, not drop-frame
		{1800, "29.97", true, "00:01:00;02"},   // frames 0 and 1 of minute 1 dropped
		{17982, "29.97", true, "00:10:00;00"},  // minute 10 keeps them
		{17981, "29.97", true, "00:09:59;29"},
		{1800, "29.97", false, "00:01:00:00"},
		{3600, "59.94", true, "00:01:00;04"},
	}
	for _, c := range cases {
		r, err := ParseRate(c.rate)
		if err != nil {
			t.Fatal(err)
		}
		if got := Timecode(c.n, r, c.df); got != c.want {
			t.Errorf("Timecode(%d, %s, %v) = %s, want %s", c.n, c.rate, c.df, got, c.want)
		}
	}
}

func TestParseRate(t *testing.T) {
	good := map[string]Rate{"24": {24, 1}, "23.976": {24000, 1001}, "30000/1001": {30000, 1001}, "12.5": {12500, 1000}}
	for s, want := range good {
		if r, err := ParseRate(s); err != nil || r != want {
			t.Errorf("%q: %v %v", s, r, err)
		}
	}
	for _, s := range []string{"0", "-24", "abc", "1/0", "NaN", "24/", "1e9"} {
		if _, err := ParseRate(s); !errors.Is(err, ErrBadRate) {
			t.Errorf("%q: %v, want ErrBadRate", s, err)
		}
	}
}
