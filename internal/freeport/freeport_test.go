package freeport

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestPickBelowEphemeralRangeAndDistinct(t *testing.T) {
	top := ephemeralLow("/proc/sys/net/ipv4/ip_local_port_range")
	seen := map[int]bool{}
	for range 50 {
		p, err := Pick()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d given twice", p)
		}
		seen[p] = true
		if top-floor >= 1000 && (p < floor || p >= top) {
			t.Fatalf("port %d outside [%d, %d)", p, floor, top)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("picked port %d cannot be bound: %v", p, err)
		}
		ln.Close()
	}
}

func TestCheckSeesBusyPort(t *testing.T) {
	// A port from Pick, not from :0: after Close, an ephemeral port could
	// be taken by any outgoing connection before the second Check.
	p, err := Pick()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(p); err == nil {
		t.Fatalf("port %d reported free while listened on", p)
	}
	ln.Close()
	if err := Check(p); err != nil {
		t.Fatalf("port %d closed but: %v", p, err)
	}
}

func TestEphemeralLow(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		text string
		want int
	}{
		{"32768\t60999\n", 32768},
		{"49152 65535", 49152},
		{"", 32768},
		{"garbage", 32768},
		{"0 0", 32768},
	} {
		p := filepath.Join(dir, "range")
		if err := os.WriteFile(p, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := ephemeralLow(p); got != c.want {
			t.Errorf("ephemeralLow(%q) = %d, want %d", c.text, got, c.want)
		}
	}
	if got := ephemeralLow(filepath.Join(dir, "missing")); got != 32768 {
		t.Errorf("missing file: %d, want 32768", got)
	}
}
