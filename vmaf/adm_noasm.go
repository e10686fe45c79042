//go:build !amd64

package vmaf

// Without the AVX2 kernel of adm_amd64.s the Go loop runs everywhere; the
// stub is never called.
const (
	admAVX2   = false
	admAVX512 = false
)

func admDwt0VertAVX2(r0, r1, r2, r3 *uint16, n int, addLo, addHi int32, sh uint, tlo, thi *int16) {
	panic("vmaf: no AVX2 kernels")
}

func admDwt0HorizAVX2(lo, hi *int16, n int, a, v, h, d *int16) {
	panic("vmaf: no AVX2 kernels")
}

func admAngle0AVX2(oh, ov, th, tv *int16, n int, cosSq float64, ang *int32) {
	panic("vmaf: no AVX2 kernels")
}

func admDecouple0AVX2(o, t *int16, ang *int32, n int, egl float64, rw, add int32, sh uint, div *int32, r, ca, cf *int16) {
	panic("vmaf: no AVX2 kernels")
}

func admThr16AVX2(fu, fi, fd, a *int16, n int, thr *int32) { panic("vmaf: no AVX2 kernels") }

func admThr32AVX2(fu, fi, fd, a *int32, n int, thr *int32) { panic("vmaf: no AVX2 kernels") }

func admPool16AVX2(r *int16, thr *int32, n int, rw int32, sub uint, p *admPoolConsts) uint64 {
	panic("vmaf: no AVX2 kernels")
}

func admPool32AVX2(r, thr *int32, n int, rf int64, p *admPoolConsts) uint64 {
	panic("vmaf: no AVX2 kernels")
}

func admDecoupleSAVX2(o, t, ang *int32, n int, egl float64, rf int64, div *int32, r, ca, cf *int32) {
	panic("vmaf: no AVX2 kernels")
}

func admAngleSAVX2(oh, ov, th, tv *int32, n int, cosSq float64, ang *int32) int {
	panic("vmaf: no AVX2 kernels")
}

func admDwtSVertAVX2(r0, r1, r2, r3 *int32, n int, add int64, sh uint, tlo, thi *int32) {
	panic("vmaf: no AVX2 kernels")
}

func admDwtSHorizAVX2(lo, hi *int32, n int, add int64, sh uint, a, v, h, d *int32) {
	panic("vmaf: no AVX2 kernels")
}

func admCubes16AVX2(b *int16, n int) uint64 { panic("vmaf: no AVX2 kernels") }

func admDecouple0AVX512(o, t *int16, ang *int32, n int, egl float64, rw, add int32, sh uint, div *int32, r, ca, cf *int16) {
	panic("vmaf: no AVX2 kernels")
}

func admDecoupleSAVX512(o, t, ang *int32, n int, egl float64, rf int64, div *int32, r, ca, cf *int32) {
	panic("vmaf: no AVX2 kernels")
}

func admDwt0VertAVX512(r0, r1, r2, r3 *uint16, n int, addLo, addHi int32, sh uint, tlo, thi *int16) {
	panic("vmaf: no AVX2 kernels")
}

func admDwt0HorizAVX512(lo, hi *int16, n int, a, v, h, d *int16) {
	panic("vmaf: no AVX2 kernels")
}

func admDwtSVertAVX512(r0, r1, r2, r3 *int32, n int, add int64, sh uint, tlo, thi *int32) {
	panic("vmaf: no AVX2 kernels")
}

func admDwtSHorizAVX512(lo, hi *int32, n int, add int64, sh uint, a, v, h, d *int32) {
	panic("vmaf: no AVX2 kernels")
}
