//go:build !amd64

package vmaf

// Without the AVX2 kernels of vif_amd64.s the Go passes run everywhere.
const vifAVX2 = false

func vifVert17AVX2(rows *[34][]uint16, n int, mu1, mu2, xx, yy, xy *uint32) {
	panic("vmaf: no AVX2 kernel on this architecture")
}

func vifHoriz17AVX2(mu1, mu2, xx, yy, xy *uint32, n int, s1, s2, s12 *int32) {
	panic("vmaf: no AVX2 kernel on this architecture")
}
