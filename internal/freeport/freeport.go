package freeport

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
)

// floor is the lowest port Pick returns; below it live well-known services.
const floor = 20000

var (
	mu    sync.Mutex
	given = map[int]bool{}
)

// Pick returns a TCP port on 127.0.0.1 that was free a moment ago and lies
// below the kernel's ephemeral range. Where that range starts too low to
// leave room, it falls back to a port the kernel picks.
func Pick() (int, error) {
	mu.Lock()
	defer mu.Unlock()
	top := ephemeralLow("/proc/sys/net/ipv4/ip_local_port_range")
	if top-floor >= 1000 {
		for range 200 {
			p := floor + rand.IntN(top-floor)
			if given[p] {
				continue
			}
			if Check(p) == nil {
				given[p] = true
				return p, nil
			}
		}
	}
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("freeport: pick a port: %w", err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !given[p] {
			given[p] = true
			return p, nil
		}
	}
	return 0, errors.New("freeport: no free loopback port found")
}

// Check says whether port p on 127.0.0.1 can be listened on now: nil, or
// the error listening gave (address already in use, permission denied).
func Check(p int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return err
	}
	return ln.Close()
}

// ephemeralLow reads the first port of the kernel's ephemeral range from
// path ("32768\t60999"), or 32768, Linux's default, when it cannot.
func ephemeralLow(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 32768
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(string(f[0]))
	if err != nil || n <= 0 || n > 65535 {
		return 32768
	}
	return n
}
