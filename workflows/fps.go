package workflows

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/reelmedia/reel/encode"
)

// MaxFPS bounds Rendition.FPS: above it a conversion is a typo, not a rate.
const MaxFPS = 1000

// ParseFPS reads a frame rate as Rendition.FPS holds it: "N" or "N/D"
// with positive integers (25, 30000/1001), at most MaxFPS; "" is zero
// (keep the source's timing).
func ParseFPS(s string) (encode.Rational, error) {
	if s == "" {
		return encode.Rational{}, nil
	}
	num, den, hasDen := strings.Cut(s, "/")
	n, err := strconv.Atoi(num)
	d := 1
	if err == nil && hasDen {
		d, err = strconv.Atoi(den)
	}
	if err != nil || n <= 0 || d <= 0 {
		return encode.Rational{}, fmt.Errorf("fps %q: want a rate like 25 or 30000/1001", s)
	}
	if float64(n)/float64(d) > MaxFPS {
		return encode.Rational{}, fmt.Errorf("fps %q: more than %d frames per second", s, MaxFPS)
	}
	return encode.Rational{Num: n, Den: d}, nil
}

// formatFPS writes r as ParseFPS reads it, "25" rather than "25/1".
func formatFPS(r encode.Rational) string {
	if r.Den == 1 {
		return strconv.Itoa(r.Num)
	}
	return fmt.Sprintf("%d/%d", r.Num, r.Den)
}
