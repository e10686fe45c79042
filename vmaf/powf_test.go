package vmaf

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPowfMatchesGlibc holds powf3, with and without fused multiply-adds,
// to glibc's powf(x, 1.0f/3.0f) on the inputs of testdata/powf_glibc.txt,
// among them 1500 where glibc's result is not the correctly rounded cube
// root; the test also checks that those inputs do tell the two apart.
func TestPowfMatchesGlibc(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "powf_glibc.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	third := float32(1.0) / float32(3.0)
	var n, rounded int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		var xb, want uint32
		if _, err := fmt.Sscanf(line, "%x %x", &xb, &want); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		x := math.Float32frombits(xb)
		n++
		for _, fused := range []bool{true, false} {
			if got := math.Float32bits(glibcPowf(x, third, fused)); got != want {
				t.Fatalf("powf(%g, 1/3) fused=%v: %08x (%g), glibc %08x (%g)", x, fused, got, math.Float32frombits(got), want, math.Float32frombits(want))
			}
		}
		if math.Float32bits(float32(math.Pow(float64(x), float64(third)))) != want {
			rounded++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 7000 || rounded < 1000 {
		t.Fatalf("%d inputs, %d where glibc differs from the rounded pow: the data no longer tells them apart", n, rounded)
	}
	if powf3(27) != 3 {
		t.Fatalf("powf3(27) = %g", powf3(27))
	}
}
