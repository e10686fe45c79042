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
