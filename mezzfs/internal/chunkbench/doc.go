// Package chunkbench holds the benchmark of what one chunk encode fetches
// from object storage through mezzfs. It lives apart from mezzfs so that the
// core and its own tests never import the encode core.
//
//	go test -run '^$' -bench ChunkFetch -benchtime 1x ./mezzfs/internal/chunkbench/
package chunkbench
