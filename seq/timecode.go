package seq

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Rate is a frame rate as a fraction (24000/1001 for 23.976).
type Rate struct {
	Num, Den int
}

// ParseRate parses 24, 25, 23.976, 29.97, 59.94 or NUM/DEN. The decimal
// NTSC rates become their exact fractions (23.976 is 24000/1001).
func ParseRate(s string) (Rate, error) {
	bad := func() (Rate, error) {
		return Rate{}, fmt.Errorf("%w %q: want a positive number like 24, 25, 23.976 or 30000/1001", ErrBadRate, s)
	}
	if a, b, ok := strings.Cut(s, "/"); ok {
		n, err1 := strconv.Atoi(a)
		d, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || n <= 0 || d <= 0 || n > 1_000_000 || d > 1_000_000 {
			return bad()
		}
		return Rate{n, d}, nil
	}
	switch s {
	case "23.976", "23.98":
		return Rate{24000, 1001}, nil
	case "29.97":
		return Rate{30000, 1001}, nil
	case "47.952":
		return Rate{48000, 1001}, nil
	case "59.94":
		return Rate{60000, 1001}, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > 1000 || math.IsNaN(f) {
		return bad()
	}
	if f == math.Trunc(f) {
		return Rate{int(f), 1}, nil
	}
	return Rate{int(math.Round(f * 1000)), 1000}, nil
}

func (r Rate) String() string {
	if r.Den == 1 {
		return strconv.Itoa(r.Num)
	}
	return fmt.Sprintf("%d/%d", r.Num, r.Den)
}

// Nominal is the whole number of frames a timecode second counts: 24 for
// 23.976, 30 for 29.97.
func (r Rate) Nominal() int {
	if r.Den <= 0 {
		return 0
	}
	return int(math.Round(float64(r.Num) / float64(r.Den)))
}

// DropFrameCapable reports whether SMPTE drop-frame timecode applies to r
// (29.97 and 59.94).
func (r Rate) DropFrameCapable() bool {
	return r.Den == 1001 && (r.Num == 30000 || r.Num == 60000)
}

// Timecode is SMPTE timecode HH:MM:SS:FF of frame count n at rate r,
// counted from 00:00:00:00 (a render's frame 1001 at 24 fps is
// 00:00:41:17). Drop-frame (29.97, 59.94 only; HH:MM:SS;FF) skips frame
// numbers 0 and 1 (0-3 at 59.94) of every minute but each tenth. It wraps
// at 24 hours.
func Timecode(n int, r Rate, dropFrame bool) string {
	fps := r.Nominal()
	if fps <= 0 || n < 0 {
		return "--:--:--:--"
	}
	sep := ":"
	if dropFrame && r.DropFrameCapable() {
		sep = ";"
		drop := fps / 15 // 2 at 29.97, 4 at 59.94
		per10 := fps*600 - 9*drop
		per1 := fps*60 - drop
		d, m := n/per10, n%per10
		n += 9 * drop * d
		if m > drop {
			n += drop * ((m - drop) / per1)
		}
	}
	n %= fps * 86400
	ff := n % fps
	s := n / fps
	return fmt.Sprintf("%02d:%02d:%02d%s%02d", s/3600, s/60%60, s%60, sep, ff)
}
