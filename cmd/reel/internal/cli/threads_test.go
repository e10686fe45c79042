package cli

import (
	"testing"

	"github.com/reelmedia/reel/internal/config"
)

func TestChunkThreads(t *testing.T) {
	for _, c := range []struct {
		w    config.Worker
		cpus int
		want int
	}{
		{config.Worker{Threads: 3, Concurrency: 2}, 2, 3}, // set: kept
		{config.Worker{Concurrency: 2}, 2, 1},
		{config.Worker{Concurrency: 4}, 16, 4},
		{config.Worker{Concurrency: 3}, 16, 5},
		{config.Worker{Concurrency: 32}, 16, 1}, // never 0 (FFmpeg's "all cores")
		{config.Worker{}, 8, 8},
	} {
		if got := chunkThreads(c.w, c.cpus); got != c.want {
			t.Errorf("chunkThreads(%+v, %d cpus) = %d, want %d", c.w, c.cpus, got, c.want)
		}
	}
}

func TestDecodeThreads(t *testing.T) {
	for _, c := range []struct{ scorer, want int }{
		{1, 1}, {2, 1}, {3, 1}, {4, 2}, {9, 4}, {16, 8}, {64, 8},
	} {
		if got := decodeThreads(c.scorer); got != c.want {
			t.Errorf("decodeThreads(%d) = %d, want %d", c.scorer, got, c.want)
		}
	}
}

// One chunk activity per two cores, never none: a chunk scored as it is
// encoded keeps two cores busy by itself.
func TestDefaultConcurrency(t *testing.T) {
	for _, c := range []struct{ cpus, want int }{{1, 1}, {2, 1}, {3, 1}, {4, 2}, {16, 8}} {
		if got := config.DefaultConcurrency(c.cpus); got != c.want {
			t.Errorf("DefaultConcurrency(%d) = %d, want %d", c.cpus, got, c.want)
		}
		if th := chunkThreads(config.Worker{Concurrency: config.DefaultConcurrency(c.cpus)}, c.cpus); th < 1 || th > 3 {
			t.Errorf("%d cpus: %d threads a chunk by default", c.cpus, th)
		}
	}
}
