package encode

/*
#include <malloc.h>
*/
import "C"

import (
	"os"
	"strings"
)

// mmapThreshold is the size from which glibc's malloc maps memory of its
// own for an allocation and gives it back on free: its default, before it
// starts moving.
const mmapThreshold = 128 << 10

// init fixes glibc's mmap threshold. Left alone, glibc raises it to the
// size of the first mapped block freed (an FFmpeg frame buffer, megabytes),
// and later frame buffers come from its heaps, where small allocations
// living between them keep the memory resident after they are freed: a
// worker's resident memory grew with every chunk's decoder and encoder
// (TestFrameBuffersReturned). A fixed threshold returns every buffer on
// free; FFmpeg pools its buffers, so the mapping costs little. An operator
// who tunes malloc (MALLOC_MMAP_THRESHOLD_, GLIBC_TUNABLES) is obeyed.
func init() {
	if os.Getenv("MALLOC_MMAP_THRESHOLD_") != "" || strings.Contains(os.Getenv("GLIBC_TUNABLES"), "mmap_threshold") {
		return
	}
	C.mallopt(C.M_MMAP_THRESHOLD, mmapThreshold)
}
