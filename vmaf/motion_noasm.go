//go:build !amd64

package vmaf

// Without the AVX2 kernels of motion_amd64.s the Go loops run everywhere;
// the stubs are never called.
const motionAVX2 = false

func motionVertAVX2(rows *[10]*uint16, n int, rnd int32, sh uint, out *int64) (any bool) {
	panic("vmaf: no AVX2 kernels")
}

func motionHorizAVX2(row *int64, n int) (sad uint32) {
	panic("vmaf: no AVX2 kernels")
}
