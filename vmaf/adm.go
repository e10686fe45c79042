package vmaf

import (
	"math"
	"math/big"
	"math/bits"
	"slices"
)

// Integer ADM as libvmaf 3.2's C code computes it (feature/integer_adm.c):
// a 4-level db2 wavelet, decoupling of the distorted bands into restored
// and additive parts, Watson CSF weighting, contrast masking in a 3x3
// neighbourhood, and cube-root pooling over the centre of each band.
// Scale 0 works on int16 bands, scales 1-3 on int32 bands; the narrow types
// and their wrap-around are kept on purpose.

var (
	dwtLo = [4]int64{15826, 27411, 7345, -4240}
	dwtHi = [4]int64{-4240, -7345, 27411, -15826}
)

const dwtLoSum = 46342

// admDivLookup[32768 ± i] = ±trunc(2^30 / i).
var admDivLookup = func() []int32 {
	t := make([]int32, 65537)
	for i := 1; i <= 32768; i++ {
		r := int32((1 << 30) / i)
		t[32768+i] = r
		t[32768-i] = -r
	}
	return t
}()

// admCosSq is float32(cos²(1°)), computed in double then stored in a float.
var admCosSq = float64(float32(math.Cos(1.0*math.Pi/180.0) * math.Cos(1.0*math.Pi/180.0)))

// admRfactor[scale][0] is the H/V CSF factor, [1] the diagonal one:
// 1.0f / dwt_quant_step(...) with libvmaf's float/double promotions.
var admRfactor = func() (r [4][2]float32) {
	for s := 0; s < 4; s++ {
		r[s][0] = 1.0 / dwtQuantStep(s, 1)
		r[s][1] = 1.0 / dwtQuantStep(s, 2)
	}
	return r
}()

// admRfactorCube[scale][k] = pow((double)rfactor, 3), correctly rounded.
var admRfactorCube = func() (c [4][2]float64) {
	for s := 0; s < 4; s++ {
		for k := 0; k < 2; k++ {
			x := new(big.Float).SetPrec(200).SetFloat64(float64(admRfactor[s][k]))
			y := new(big.Float).SetPrec(200).Mul(x, x)
			y.Mul(y, x)
			c[s][k], _ = y.Float64()
		}
	}
	return c
}()

// dwtQuantStep is the Watson et al. quantisation step for the Y channel at
// the default viewing geometry (3 picture heights of a 1080-line display).
func dwtQuantStep(lambda, theta int) float32 {
	const (
		a  = float32(0.495)
		k  = float32(0.466)
		f0 = float32(0.401)
	)
	g := [4]float32{1.501, 1.0, 0.534, 1.0}
	amp := [4][4]float32{
		{0.62171, 0.67234, 0.72709, 0.67234},
		{0.34537, 0.41317, 0.49428, 0.41317},
		{0.18004, 0.22727, 0.28688, 0.22727},
		{0.091401, 0.11792, 0.15214, 0.11792},
	}
	r := float32(3.0 * 1080 * 3.14159265358979323846264338327 / 180.0)
	temp := float32(math.Log10(math.Pow(2.0, float64(lambda+1)) * float64(f0) * float64(g[theta]) / float64(r)))
	kt := k * temp * temp // float32 arithmetic, as in C
	q := 2.0 * float64(a) * math.Pow(10.0, float64(kt)) / float64(amp[lambda][theta])
	return float32(q)
}

// powf3, C's powf(x, 1.0f/3.0f), is in powf.go.

// admBands holds the four sub-bands of one wavelet level.
type admBands[T int16 | int32] struct {
	a, v, h, d []T
}

func (b *admBands[T]) alloc(n int) {
	if cap(b.a) < n {
		b.a, b.v, b.h, b.d = make([]T, n), make([]T, n), make([]T, n), make([]T, n)
	}
	b.a, b.v, b.h, b.d = b.a[:n], b.v[:n], b.h[:n], b.d[:n]
}

// admWorker holds the scratch buffers of one ADM computation. It is not
// safe for concurrent use.
type admWorker struct {
	ref0, dis0 admBands[int16]
	// Three rows of the restored bands of scale 0 (h, v, d) and of their
	// CSF-weighted additive parts: row y in slot y%3 (held0[y%3] == y),
	// made by decoupleRow0 as cm0 reaches them, instead of whole planes.
	r0         [3][]int16
	csfA0      [3][]int16
	csfF0      [3][]int16
	held0      [3]int
	egl0       float64            // the enhancement gain limit decoupleRow0 applies
	ref, dis   [2]admBands[int32] // scale 2 in [0], scales 1 and 3 in [1]
	rows       [4][]int32         // the widened source rows of one output row, scale 1
	r          [3][]int32
	csfA       [3][]int32
	csfF       [3][]int32
	tmp16      []int16
	tmp32      []int32
	indY, indX [4][]int
	angle      []int32 // per-pixel angle test of one row (-1 passes), decoupleRow0, decoupleCSFS
	thr        []int32 // per-pixel masking threshold of one row, cm0
}

// admResult holds adm2 and the per-scale numerators and denominators.
type admResult struct {
	adm2     float64
	num, den [4]float32
}

func (r admResult) scale(s int) float64 { return float64(r.num[s]) / float64(r.den[s]) }

func grow16(s []int16, n int) []int16 {
	if cap(s) < n {
		return make([]int16, n)
	}
	return s[:n]
}

func grow32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// dwtIndices returns, for each of the ceil(n/2) outputs, the four source
// indices 2i-1..2i+2 with libvmaf's border rule: -1 maps to 1, and at the
// end idx >= n maps to 2n-1-idx (only the last two outputs are remapped).
func dwtIndices(dst *[4][]int, n int) {
	half := (n + 1) / 2
	for k := range dst {
		if cap(dst[k]) < half {
			dst[k] = make([]int, half)
		}
		dst[k] = dst[k][:half]
	}
	for i := 0; i < half; i++ {
		for k := 0; k < 4; k++ {
			idx := 2*i - 1 + k
			if i >= half-2 && idx >= n {
				idx = 2*n - idx - 1
			}
			dst[k][i] = idx
		}
	}
	dst[0][0], dst[1][0], dst[2][0], dst[3][0] = 1, 0, 1, 2
}

// compute returns ADM for ref against dis with the given enhancement gain
// limit.
func (m *admWorker) compute(ref, dis *luma, egl float64) admResult {
	var res admResult
	w, h := ref.w, ref.h
	bw, bh := (w+1)/2, (h+1)/2
	n := bw * bh
	m.ref0.alloc(n)
	m.dis0.alloc(n)
	for k := 0; k < 3; k++ {
		m.r0[k] = grow16(m.r0[k], 3*bw)
		m.csfA0[k] = grow16(m.csfA0[k], 3*bw)
		m.csfF0[k] = grow16(m.csfF0[k], 3*bw)
	}
	m.tmp16 = grow16(m.tmp16, 2*w)
	dwtIndices(&m.indY, h)
	dwtIndices(&m.indX, w)
	m.dwt0(ref.pix, &m.ref0, w, h, ref.bpc)
	m.dwt0(dis.pix, &m.dis0, w, h, dis.bpc)
	res.den[0] = admDen0(&m.ref0, bw, bh)
	m.held0, m.egl0 = [3]int{-1, -1, -1}, egl
	res.num[0] = m.cm0(bw, bh)

	// Scale 1 reads the int16 approximation band of scale 0, widened row
	// by row (dwtS), so that no int32 copy of the whole band is kept; the
	// bands of scales 1 and 3 go to ref[1], those of scale 2 to ref[0].
	cur := 0
	w, h = bw, bh
	for scale := 1; scale < 4; scale++ {
		bw, bh = (w+1)/2, (h+1)/2
		nb := bw * bh
		next := scale & 1
		m.ref[next].alloc(nb)
		m.dis[next].alloc(nb)
		for k := 0; k < 3; k++ {
			m.r[k] = grow32(m.r[k], nb)
			m.csfA[k] = grow32(m.csfA[k], nb)
			m.csfF[k] = grow32(m.csfF[k], nb)
		}
		m.tmp32 = grow32(m.tmp32, 2*w)
		dwtIndices(&m.indY, h)
		dwtIndices(&m.indX, w)
		if scale == 1 {
			m.dwtS(nil, m.ref0.a, &m.ref[next], w, h, scale)
			m.dwtS(nil, m.dis0.a, &m.dis[next], w, h, scale)
		} else {
			m.dwtS(m.ref[cur].a, nil, &m.ref[next], w, h, scale)
			m.dwtS(m.dis[cur].a, nil, &m.dis[next], w, h, scale)
		}
		res.den[scale] = admDenS(&m.ref[next], bw, bh, scale)
		m.decoupleCSFS(&m.ref[next], &m.dis[next], egl, bw, bh, scale)
		res.num[scale] = m.cmS(bw, bh, scale)
		cur = next
		w, h = bw, bh
	}

	var num, den float64
	for s := 0; s < 4; s++ {
		num += float64(res.num[s])
		den += float64(res.den[s])
	}
	limit := 1e-10 * float64(ref.w*ref.h) / (1920.0 * 1080.0)
	if num < limit {
		num = 0
	}
	if den < limit {
		den = 0
	}
	if den == 0 {
		res.adm2 = 1.0
	} else {
		res.adm2 = num / den
	}
	return res
}

// dwt0 is adm_dwt2_8/adm_dwt2_16: one db2 level of the luma plane into
// int16 bands (Q6 of the float DWT of the sample centred on mid-grey).
func (m *admWorker) dwt0(src []uint16, dst *admBands[int16], w, h, bpc int) {
	bw := (w + 1) / 2
	rnd := int32(1) << (bpc - 1)
	sh := uint(bpc)
	centre := int32(dwtLoSum) * rnd
	tlo, thi := m.tmp16[:w], m.tmp16[w:2*w]
	for i := range m.indY[0] {
		r0 := src[m.indY[0][i]*w : m.indY[0][i]*w+w]
		r1 := src[m.indY[1][i]*w : m.indY[1][i]*w+w]
		r2 := src[m.indY[2][i]*w : m.indY[2][i]*w+w]
		r3 := src[m.indY[3][i]*w : m.indY[3][i]*w+w]
		admDwt0Vert(r0, r1, r2, r3, centre, rnd, sh, tlo, thi)
		a := dst.a[i*bw : i*bw+bw]
		v := dst.v[i*bw : i*bw+bw]
		hh := dst.h[i*bw : i*bw+bw]
		d := dst.d[i*bw : i*bw+bw]
		row := func(j int, s0, s1, s2, s3, t0, t1, t2, t3 int32) {
			a[j] = int16((15826*s0 + 27411*s1 + 7345*s2 - 4240*s3 + 32768) >> 16)
			v[j] = int16((-4240*s0 - 7345*s1 + 27411*s2 - 15826*s3 + 32768) >> 16)
			hh[j] = int16((15826*t0 + 27411*t1 + 7345*t2 - 4240*t3 + 32768) >> 16)
			d[j] = int16((-4240*t0 - 7345*t1 + 27411*t2 - 15826*t3 + 32768) >> 16)
		}
		// Columns 1..bw-3 read 2j-1..2j+2 directly; the first and the last
		// two use the mirrored indices.
		for _, j := range [3]int{0, bw - 2, bw - 1} {
			j0, j1, j2, j3 := m.indX[0][j], m.indX[1][j], m.indX[2][j], m.indX[3][j]
			row(j, int32(tlo[j0]), int32(tlo[j1]), int32(tlo[j2]), int32(tlo[j3]),
				int32(thi[j0]), int32(thi[j1]), int32(thi[j2]), int32(thi[j3]))
		}
		admDwt0Horiz(tlo, thi, a[:bw-2], v[:bw-2], hh[:bw-2], d[:bw-2])
	}
}

// admDwt0Horiz is the horizontal pass of dwt0 over the interior output
// columns 1..len(a)-1 of one row, which read tlo and thi at 2j-1..2j+2.
// The AVX-512 kernel takes the first columns, a multiple of 16 of them,
// the AVX2 kernel a multiple of 8 of the rest.
func admDwt0Horiz(tlo, thi []int16, a, v, hh, d []int16) {
	j0 := 1
	if n16 := (len(a) - 1) &^ 15; admAVX512 && n16 > 0 {
		_, _, _, _, _, _ = tlo[2*n16+2], thi[2*n16+2], a[n16], v[n16], hh[n16], d[n16]
		admDwt0HorizAVX512(&tlo[1], &thi[1], n16, &a[1], &v[1], &hh[1], &d[1])
		j0 += n16
	}
	if n8 := (len(a) - j0) &^ 7; admAVX2 && n8 > 0 {
		admDwt0HorizAVX2(&tlo[2*j0-1], &thi[2*j0-1], n8, &a[j0], &v[j0], &hh[j0], &d[j0])
		j0 += n8
	}
	for j := j0; j < len(a); j++ {
		l := tlo[2*j-1 : 2*j+3 : 2*j+3]
		t := thi[2*j-1 : 2*j+3 : 2*j+3]
		s0, s1, s2, s3 := int32(l[0]), int32(l[1]), int32(l[2]), int32(l[3])
		a[j] = int16((15826*s0 + 27411*s1 + 7345*s2 - 4240*s3 + 32768) >> 16)
		v[j] = int16((-4240*s0 - 7345*s1 + 27411*s2 - 15826*s3 + 32768) >> 16)
		s0, s1, s2, s3 = int32(t[0]), int32(t[1]), int32(t[2]), int32(t[3])
		hh[j] = int16((15826*s0 + 27411*s1 + 7345*s2 - 4240*s3 + 32768) >> 16)
		d[j] = int16((-4240*s0 - 7345*s1 + 27411*s2 - 15826*s3 + 32768) >> 16)
	}
}

// admDwt0Vert is the vertical pass of dwt0 over one row: the low-pass
// and high-pass of rows r0..r3 into tlo and thi. The AVX-512 kernel takes
// the columns up to a multiple of 16, the AVX2 kernel up to a multiple of
// 8 of the rest.
func admDwt0Vert(r0, r1, r2, r3 []uint16, centre, rnd int32, sh uint, tlo, thi []int16) {
	if n16 := len(tlo) &^ 15; admAVX512 && n16 > 0 {
		_, _, _, _, _ = r0[n16-1], r1[n16-1], r2[n16-1], r3[n16-1], thi[n16-1]
		admDwt0VertAVX512(&r0[0], &r1[0], &r2[0], &r3[0], n16, rnd-centre, rnd, sh, &tlo[0], &thi[0])
		r0, r1, r2, r3, tlo, thi = r0[n16:], r1[n16:], r2[n16:], r3[n16:], tlo[n16:], thi[n16:]
	}
	if n8 := len(tlo) &^ 7; admAVX2 && n8 > 0 {
		admDwt0VertAVX2(&r0[0], &r1[0], &r2[0], &r3[0], n8, rnd-centre, rnd, sh, &tlo[0], &thi[0])
		r0, r1, r2, r3, tlo, thi = r0[n8:], r1[n8:], r2[n8:], r3[n8:], tlo[n8:], thi[n8:]
	}
	r0, r1, r2, r3 = r0[:len(tlo)], r1[:len(tlo)], r2[:len(tlo)], r3[:len(tlo)]
	thi = thi[:len(tlo)]
	for j := range tlo {
		s0, s1, s2, s3 := int32(r0[j]), int32(r1[j]), int32(r2[j]), int32(r3[j])
		lo := 15826*s0 + 27411*s1 + 7345*s2 - 4240*s3 - centre
		hi := -4240*s0 - 7345*s1 + 27411*s2 - 15826*s3
		tlo[j] = int16((lo + rnd) >> sh)
		thi[j] = int16((hi + rnd) >> sh)
	}
}

// dwtS is adm_dwt2_s123_combined for one image: the previous approximation
// band as the source (src, or at scale 1 the int16 band src16, whose four
// rows of each output row are widened to int32 into m.rows), int64 sums,
// per-scale rounding.
func (m *admWorker) dwtS(src []int32, src16 []int16, dst *admBands[int32], w, h, scale int) {
	addV := [3]int64{0, 32768, 32768}[scale-1]
	shV := [3]uint{0, 16, 16}[scale-1]
	addH := [3]int64{16384, 32768, 16384}[scale-1]
	shH := [3]uint{15, 16, 15}[scale-1]
	bw := (w + 1) / 2
	tlo, thi := m.tmp32[:w], m.tmp32[w:2*w]
	// held[s] is the source row widened into m.rows[s] (-1: none). Output
	// row i reads rows 2i-1..2i+2, two of which row i-1 read too, so each
	// source row is widened about once.
	held := [4]int{-1, -1, -1, -1}
	if src16 != nil {
		for k := range m.rows {
			m.rows[k] = grow32(m.rows[k], w)
		}
	}
	for i := range m.indY[0] {
		var r0, r1, r2, r3 []int32
		if src16 != nil {
			need := [4]int{m.indY[0][i], m.indY[1][i], m.indY[2][i], m.indY[3][i]}
			var rows [4][]int32
			for k, y := range need {
				s := slices.Index(held[:], y)
				if s < 0 {
					// A slot holding none of this output row's source rows;
					// there is one, as there are four slots.
					for s = 0; slices.Contains(need[:], held[s]); s++ {
					}
					widen16(m.rows[s], src16[y*w:y*w+w])
					held[s] = y
				}
				rows[k] = m.rows[s]
			}
			r0, r1, r2, r3 = rows[0], rows[1], rows[2], rows[3]
		} else {
			r0 = src[m.indY[0][i]*w : m.indY[0][i]*w+w]
			r1 = src[m.indY[1][i]*w : m.indY[1][i]*w+w]
			r2 = src[m.indY[2][i]*w : m.indY[2][i]*w+w]
			r3 = src[m.indY[3][i]*w : m.indY[3][i]*w+w]
		}
		admDwtSVert(r0, r1, r2, r3, addV, shV, tlo, thi)
		a := dst.a[i*bw : i*bw+bw]
		v := dst.v[i*bw : i*bw+bw]
		hh := dst.h[i*bw : i*bw+bw]
		d := dst.d[i*bw : i*bw+bw]
		// As in dwt0: the first and the last two columns use the mirrored
		// indices, the others read 2j-1..2j+2 directly.
		for _, j := range [3]int{0, bw - 2, bw - 1} {
			j0, j1, j2, j3 := m.indX[0][j], m.indX[1][j], m.indX[2][j], m.indX[3][j]
			a[j], v[j] = admDwtSTaps(tlo[j0], tlo[j1], tlo[j2], tlo[j3], addH, shH)
			hh[j], d[j] = admDwtSTaps(thi[j0], thi[j1], thi[j2], thi[j3], addH, shH)
		}
		admDwtSHoriz(tlo, thi, addH, shH, a[:bw-2], v[:bw-2], hh[:bw-2], d[:bw-2])
	}
}

// widen16 copies src into dst as int32 (len(dst) == len(src)).
func widen16(dst []int32, src []int16) {
	dst = dst[:len(src)]
	for j, v := range src {
		dst[j] = int32(v)
	}
}

// admDwtSTaps returns the low-pass and high-pass outputs of four int32
// samples with int64 sums.
func admDwtSTaps(t0, t1, t2, t3 int32, add int64, sh uint) (lo, hi int32) {
	s0, s1, s2, s3 := int64(t0), int64(t1), int64(t2), int64(t3)
	lo = int32((15826*s0 + 27411*s1 + 7345*s2 - 4240*s3 + add) >> sh)
	hi = int32((-4240*s0 - 7345*s1 + 27411*s2 - 15826*s3 + add) >> sh)
	return lo, hi
}

// admDwtSVert is the vertical pass of dwtS over one row: the low-pass and
// high-pass of rows r0..r3 into tlo and thi. The AVX-512 kernel takes the
// columns up to a multiple of 16, the AVX2 kernel up to a multiple of 8 of
// the rest.
func admDwtSVert(r0, r1, r2, r3 []int32, add int64, sh uint, tlo, thi []int32) {
	n := len(tlo)
	r0, r1, r2, r3, thi = r0[:n], r1[:n], r2[:n], r3[:n], thi[:n]
	j := 0
	if n16 := n &^ 15; admAVX512 && n16 > 0 {
		admDwtSVertAVX512(&r0[0], &r1[0], &r2[0], &r3[0], n16, add, sh, &tlo[0], &thi[0])
		j = n16
	}
	if n8 := (n - j) &^ 7; admAVX2 && n8 > 0 {
		admDwtSVertAVX2(&r0[j], &r1[j], &r2[j], &r3[j], n8, add, sh, &tlo[j], &thi[j])
		j += n8
	}
	for ; j < n; j++ {
		tlo[j], thi[j] = admDwtSTaps(r0[j], r1[j], r2[j], r3[j], add, sh)
	}
}

// admDwtSHoriz is the horizontal pass of dwtS over the interior output
// columns 1..len(a)-1 of one row, which read tlo and thi at 2j-1..2j+2.
// The AVX-512 kernel takes the first columns, a multiple of 16 of them,
// the AVX2 kernel a multiple of 8 of the rest.
func admDwtSHoriz(tlo, thi []int32, add int64, sh uint, a, v, hh, d []int32) {
	j := 1
	if n16 := (len(a) - 1) &^ 15; admAVX512 && n16 > 0 {
		_, _, _, _, _, _ = tlo[2*n16+2], thi[2*n16+2], a[n16], v[n16], hh[n16], d[n16]
		admDwtSHorizAVX512(&tlo[1], &thi[1], n16, add, sh, &a[1], &v[1], &hh[1], &d[1])
		j += n16
	}
	if n8 := (len(a) - j) &^ 7; admAVX2 && n8 > 0 {
		_, _ = tlo[2*(j+n8)], thi[2*(j+n8)]
		admDwtSHorizAVX2(&tlo[2*j-1], &thi[2*j-1], n8, add, sh, &a[j], &v[j], &hh[j], &d[j])
		j += n8
	}
	for ; j < len(a); j++ {
		a[j], v[j] = admDwtSTaps(tlo[2*j-1], tlo[2*j], tlo[2*j+1], tlo[2*j+2], add, sh)
		hh[j], d[j] = admDwtSTaps(thi[2*j-1], thi[2*j], thi[2*j+1], thi[2*j+2], add, sh)
	}
}

// admRegion returns the scoring region of a band: about 10% is dropped on
// each side.
func admRegion(w, h int) (left, top, right, bottom int) {
	left = int(float64(w)*0.1 - 0.5)
	top = int(float64(h)*0.1 - 0.5)
	return left, top, w - left, h - top
}

// admDecoupleRegion is the scoring region grown by the 3x3 neighbourhood.
func admDecoupleRegion(w, h int) (left, top, right, bottom int) {
	left = int(float64(w)*0.1 - 0.5 - 1)
	top = int(float64(h)*0.1 - 0.5 - 1)
	right = w - left + 2
	bottom = h - top + 2
	left = max(left, 0)
	top = max(top, 0)
	right = min(right, w)
	bottom = min(bottom, h)
	return
}

// admAngle reports whether the (oh, ov) and (th, tv) vectors are within one
// degree of each other, with libvmaf's float32/double mix.
func admAngle(oh, ov, th, tv int64) bool {
	dp := oh*th + ov*tv
	om := oh*oh + ov*ov
	tm := th*th + tv*tv
	dpf := float64(float32(dp)) / 4096.0
	if !(dpf >= 0) {
		return false
	}
	rhs := float64(admCosSq*(float64(float32(om))/4096.0)) * (float64(float32(tm)) / 4096.0)
	return float64(dpf*dpf) >= rhs
}

// admRestore applies the enhancement gain limit to a restored value r of
// a band value o (reference) and t (distorted) with gain ratio k (Q15).
func admRestore(r, k, o, t int64, angle bool, egl float64) int64 {
	if !angle || k <= 0 || o == 0 {
		return r
	}
	if o > 0 {
		return int64(math.Min(float64(r)*egl, float64(t)))
	}
	return int64(math.Max(float64(r)*egl, float64(t)))
}

// decoupleRow0 is adm_decouple followed by adm_csf for row i of scale 0:
// the restored bands r and the CSF-weighted additive bands csfA and their
// 1/30 versions csfF, into slot i%3 of m.r0, m.csfA0 and m.csfF0. Only the
// columns of the decoupling region are written, as libvmaf does; cm0 reads
// no other.
func (m *admWorker) decoupleRow0(i, w, h int) {
	s := i % 3
	if m.held0[s] == i {
		return
	}
	m.held0[s] = i
	left, top, right, bottom := admDecoupleRegion(w, h)
	if i < top || i >= bottom {
		return // outside the region: never read (admNeighbours stays inside)
	}
	rw := [3]int32{36453, 36453, 49417}
	add := [3]int32{16384, 16384, 65535}
	sh := [3]uint{15, 15, 17}
	ref, dis := &m.ref0, &m.dis0
	refB := [3][]int16{ref.h, ref.v, ref.d}
	disB := [3][]int16{dis.h, dis.v, dis.d}
	if cap(m.angle) < right-left {
		m.angle = make([]int32, right-left)
	}
	angle := m.angle[:right-left]
	// The angle test of each pixel first (it reads the h and v bands of
	// both images), then each band in a loop of its own.
	lo, hi := i*w+left, i*w+right
	admAngleRow16(ref.h[lo:hi], ref.v[lo:hi], dis.h[lo:hi], dis.v[lo:hi], angle)
	olo, ohi := s*w+left, s*w+right
	for k := 0; k < 3; k++ {
		admDecouple0Row(refB[k][lo:hi], disB[k][lo:hi], angle, m.egl0, rw[k], add[k], sh[k],
			m.r0[k][olo:ohi], m.csfA0[k][olo:ohi], m.csfF0[k][olo:ohi])
	}
}

// admAngleRow16 sets ang[j] to -1 where admAngle passes for pixel j of
// int16 bands, 0 elsewhere. The AVX2 kernel takes the first columns, a
// multiple of 8 of them.
func admAngleRow16(oh, ov, th, tv []int16, ang []int32) {
	n := len(ang)
	oh, ov, th, tv = oh[:n], ov[:n], th[:n], tv[:n]
	j0 := 0
	if n8 := n &^ 7; admAVX2 && n8 > 0 {
		admAngle0AVX2(&oh[0], &ov[0], &th[0], &tv[0], n8, admCosSq, &ang[0])
		j0 = n8
	}
	for j := j0; j < n; j++ {
		ang[j] = admMask(admAngle(int64(oh[j]), int64(ov[j]), int64(th[j]), int64(tv[j])))
	}
}

func admMask(b bool) int32 {
	if b {
		return -1
	}
	return 0
}

// admEGLKernel reports whether the SIMD kernels can apply the gain limit
// egl: they truncate the limited value to int32, which holds when egl is
// finite and not negative (the model's range is [1, 100]).
func admEGLKernel(egl float64) bool { return egl >= 0 && egl <= math.MaxFloat64 }

// admDecouple0Row decouples one row of one scale-0 band: o and t are the
// reference and distorted values, ang the row's angle masks; it writes the
// restored values r, the CSF-weighted additive values ca and their 1/30
// versions cf. The AVX-512 kernel takes the first columns, a multiple of
// 16 of them, and the AVX2 kernel a multiple of 8 of the rest.
func admDecouple0Row(o, t []int16, ang []int32, egl float64, rw, add int32, sh uint, r, ca, cf []int16) {
	n := len(o)
	t, ang, r, ca, cf = t[:n], ang[:n], r[:n], ca[:n], cf[:n]
	div := (*[65536]int32)(admDivLookup)
	j0 := 0
	if n16 := n &^ 15; admAVX512 && n16 > 0 && admEGLKernel(egl) {
		admDecouple0AVX512(&o[0], &t[0], &ang[0], n16, egl, rw, add, sh, &admDivLookup[32768], &r[0], &ca[0], &cf[0])
		j0 = n16
	}
	if n8 := (n - j0) &^ 7; admAVX2 && n8 > 0 && admEGLKernel(egl) {
		admDecouple0AVX2(&o[j0], &t[j0], &ang[j0], n8, egl, rw, add, sh, &admDivLookup[32768], &r[j0], &ca[j0], &cf[j0])
		j0 += n8
	}
	for j := j0; j < n; j++ {
		ok, tk := int64(o[j]), int64(t[j])
		var kq int64 = 32768
		if ok != 0 {
			kq = int64(int32((int64(div[uint16(ok+32768)])*tk + 16384) >> 15))
		}
		kq = min(max(kq, 0), 32768)
		rv := int64(int16((kq*ok + 16384) >> 15))
		rv = int64(int16(admRestore(rv, kq, ok, tk, ang[j] != 0, egl)))
		a := int16(tk - rv)
		r[j] = int16(rv)
		c := int16((rw*int32(a) + add) >> sh)
		ca[j] = c
		cf[j] = int16((4369*abs32(int32(c)) + 2048) >> 12)
	}
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// admDen0 is adm_csf_den_scale: the CSF-weighted L3 norm of the reference
// bands of scale 0.
func admDen0(ref *admBands[int16], w, h int) float32 {
	left, top, right, bottom := admRegion(w, h)
	area := (bottom - top) * (right - left)
	shift := int(math.Ceil(math.Log2(float64(area)) - 20))
	shift = max(shift, 0)
	var add uint64
	if shift > 0 {
		add = 1 << (shift - 1)
	}
	var acc [3]uint64
	bands := [3][]int16{ref.h, ref.v, ref.d}
	for k, b := range bands {
		for i := top; i < bottom; i++ {
			acc[k] += (admCubes16(b[i*w+left:i*w+right]) + add) >> shift
		}
	}
	shiftCSF := math.Pow(2, float64(18-shift))
	return admDenSum(acc, shiftCSF, admRfactorCube[0], area)
}

// admCubes16 returns the sum of |x|³ over a row of a scale-0 band. The
// AVX2 kernel takes the first values, a multiple of 8 of them.
func admCubes16(row []int16) uint64 {
	var sum uint64
	j := 0
	if n8 := len(row) &^ 7; admAVX2 && n8 > 0 {
		sum = admCubes16AVX2(&row[0], n8)
		j = n8
	}
	for _, x := range row[j:] {
		u := uint64(uint16(abs32(int32(x))))
		sum += u * u * u
	}
	return sum
}

// admDenSum converts the three accumulators to the float32 denominator.
func admDenSum(acc [3]uint64, shiftCSF float64, cube [2]float64, area int) float32 {
	powAdd := powf3(float32(float64(area) * 0.03125))
	var sum float32
	for k := 0; k < 3; k++ {
		c := cube[0]
		if k == 2 {
			c = cube[1]
		}
		csf := float64(float64(acc[k])/shiftCSF) * c
		sum += powf3(float32(csf)) + powAdd
	}
	return sum
}

// admDenS is adm_csf_den_s123 for scales 1-3.
func admDenS(ref *admBands[int32], w, h, scale int) float32 {
	left, top, right, bottom := admRegion(w, h)
	shSq := [3]uint{31, 30, 31}[scale-1]
	addSq := uint64(1) << shSq
	conv := [3]int{32, 27, 23}[scale-1]
	shCub := uint(math.Ceil(math.Log2(float64(right - left))))
	addCub := uint64(1) << (shCub - 1)
	shAcc := uint(math.Ceil(math.Log2(float64(bottom - top))))
	addAcc := uint64(1) << (shAcc - 1)
	var acc [3]uint64
	bands := [3][]int32{ref.h, ref.v, ref.d}
	for k, b := range bands {
		for i := top; i < bottom; i++ {
			var inner uint64
			for _, x := range b[i*w+left : i*w+right] {
				u := uint64(uint32(abs32(x)))
				inner += (((u*u+addSq)>>shSq)*u + addCub) >> shCub
			}
			acc[k] += (inner + addAcc) >> shAcc
		}
	}
	shiftCSF := math.Pow(2, float64(conv-int(shAcc)-int(shCub)))
	return admDenSum(acc, shiftCSF, admRfactorCube[scale], (bottom-top)*(right-left))
}

// admNeighbours returns the row (or column) indices above and below i with
// the contrast-masking border rule: -1 maps to 1 and n maps to n-1.
func admNeighbours(i, n int) (int, int) {
	lo, hi := i-1, i+1
	if lo < 0 {
		lo = 1
	}
	if hi >= n {
		hi = n - 1
	}
	return lo, hi
}

// cm0 is adm_cm for scale 0: contrast masking of the restored bands and the
// cube-root pooled numerator.
func (m *admWorker) cm0(w, h int) float32 {
	left, top, right, bottom := admRegion(w, h)
	rw := [3]int32{36453, 36453, 49417}
	subSh := [3]uint{10, 10, 12}
	sqAdd := [3]int64{1 << 28, 1 << 28, 1 << 29}
	sqSh := [3]uint{29, 29, 30}
	cubSh := [3]uint{
		uint(math.Ceil(math.Log2(float64(w)) - 4)),
		uint(math.Ceil(math.Log2(float64(w)) - 4)),
		uint(math.Ceil(math.Log2(float64(w)) - 3)),
	}
	var cubAdd [3]int64
	for k := range cubSh {
		if cubSh[k] > 0 {
			cubAdd[k] = 1 << (cubSh[k] - 1)
		}
	}
	rowSh := uint(math.Ceil(math.Log2(float64(h))))
	var rowAdd int64
	if rowSh > 0 {
		rowAdd = 1 << (rowSh - 1)
	}
	var acc [3]int64
	if cap(m.thr) < right-left {
		m.thr = make([]int32, right-left)
	}
	thr := m.thr[:right-left]
	// Row by row: the masking threshold of each pixel (the 3x3 sums of
	// the three bands) first, then each band's pooled sum in a loop of
	// its own. Integer sums are exact in any order.
	for i := top; i < bottom; i++ {
		up, down := admNeighbours(i, h)
		m.decoupleRow0(up, w, h)
		m.decoupleRow0(i, w, h)
		m.decoupleRow0(down, w, h)
		su, si, sd := (up%3)*w, (i%3)*w, (down%3)*w
		clear(thr)
		for k := 0; k < 3; k++ {
			f := m.csfF0[k]
			admThrRow16(f[su:][:w], f[si:][:w], f[sd:][:w], m.csfA0[k][si:][:w], left, thr)
		}
		for k := 0; k < 3; k++ {
			p := admPoolConsts{sqAdd[k], uint64(sqSh[k]), uint64(cubAdd[k]), uint64(cubSh[k])}
			inner := admPoolRow16(m.r0[k][si+left:si+right], thr, rw[k], subSh[k], &p)
			acc[k] += (inner + rowAdd) >> rowSh
		}
	}
	area := (bottom - top) * (right - left)
	powAdd := powf3(float32(float64(area) * 0.03125))
	p := [3]int{52, 52, 57}
	var sum float32
	for k := 0; k < 3; k++ {
		f := float32(float64(acc[k]) / math.Pow(2, float64(p[k]-int(cubSh[k])-int(rowSh))))
		sum += powf3(f) + powAdd
	}
	return sum
}

// decoupleCSFS is adm_decouple_s123 followed by i4_adm_csf.
func (m *admWorker) decoupleCSFS(ref, dis *admBands[int32], egl float64, w, h, scale int) {
	left, top, right, bottom := admDecoupleRegion(w, h)
	rf := admRfactorU32(scale)
	refB := [3][]int32{ref.h, ref.v, ref.d}
	disB := [3][]int32{dis.h, dis.v, dis.d}
	if cap(m.angle) < right-left {
		m.angle = make([]int32, right-left)
	}
	angle := m.angle[:right-left]
	// Row by row, as in decoupleRow0.
	for i := top; i < bottom; i++ {
		lo, hi := i*w+left, i*w+right
		admAngleRow32(ref.h[lo:hi], ref.v[lo:hi], dis.h[lo:hi], dis.v[lo:hi], angle)
		for k := 0; k < 3; k++ {
			admDecoupleSRow(refB[k][lo:hi], disB[k][lo:hi], angle, egl, rf[k],
				m.r[k][lo:hi], m.csfA[k][lo:hi], m.csfF[k][lo:hi])
		}
	}
}

// admAngleRow32 is admAngleRow16 for the int32 bands of scales 1-3.
func admAngleRow32(oh, ov, th, tv []int32, ang []int32) {
	n := len(ang)
	oh, ov, th, tv = oh[:n], ov[:n], th[:n], tv[:n]
	j := 0
	// The AVX2 kernel stops at a block of 8 with large values; the Go
	// loop takes that block, then the kernel goes on.
	for n8 := n &^ 7; admAVX2 && j < n8; {
		j += admAngleSAVX2(&oh[j], &ov[j], &th[j], &tv[j], n8-j, admCosSq, &ang[j])
		for e := min(j+8, n8); j < e; j++ {
			ang[j] = admMask(admAngle(int64(oh[j]), int64(ov[j]), int64(th[j]), int64(tv[j])))
		}
	}
	for ; j < n; j++ {
		ang[j] = admMask(admAngle(int64(oh[j]), int64(ov[j]), int64(th[j]), int64(tv[j])))
	}
}

// admDecoupleSRow is admDecouple0Row for the int32 bands of scales 1-3,
// with the CSF factor rf in Q32, and the same kernels.
func admDecoupleSRow(o, t []int32, ang []int32, egl float64, rf uint32, r, ca, cf []int32) {
	n := len(o)
	t, ang, r, ca, cf = t[:n], ang[:n], r[:n], ca[:n], cf[:n]
	rfk := int64(rf)
	j := 0
	kernel := admEGLKernel(egl) && rf < 1<<31
	if n16 := n &^ 15; admAVX512 && n16 > 0 && kernel {
		admDecoupleSAVX512(&o[0], &t[0], &ang[0], n16, egl, rfk, &admDivLookup[32768], &r[0], &ca[0], &cf[0])
		j = n16
	}
	if n8 := (n - j) &^ 7; admAVX2 && n8 > 0 && kernel {
		admDecoupleSAVX2(&o[j], &t[j], &ang[j], n8, egl, rfk, &admDivLookup[32768], &r[j], &ca[j], &cf[j])
		j += n8
	}
	for ; j < n; j++ {
		ok, tk := int64(o[j]), int64(t[j])
		var kq int64 = 32768
		if ok != 0 {
			ao := uint32(abs32(int32(ok)))
			var shift uint
			msb := ao
			if ao >= 32768 {
				shift = uint(17 - bits.LeadingZeros32(ao))
				msb = uint32(uint16((ao + 1<<(shift-1)) >> shift))
			}
			sign := int64(1)
			if ok < 0 {
				sign = -1
			}
			kq = (int64(admDivLookup[msb+32768])*tk*sign + int64(int32(1)<<(14+shift))) >> (15 + shift)
		}
		kq = min(max(kq, 0), 32768)
		rv := int64(int32((kq*ok + 16384) >> 15))
		rv = int64(int32(admRestore(rv, kq, ok, tk, ang[j] != 0, egl)))
		a := int32(tk - rv)
		r[j] = int32(rv)
		c := int32((rfk*int64(a) + 1<<27) >> 28)
		ca[j] = c
		cf[j] = int32((143165577*int64(abs32(c)) - 1<<31) >> 32)
	}
}

// admRfactorU32 returns the scale's CSF factors in Q32: (uint32)(f * 2^32).
func admRfactorU32(scale int) [3]uint32 {
	hv := uint32(float64(admRfactor[scale][0]) * (1 << 32))
	d := uint32(float64(admRfactor[scale][1]) * (1 << 32))
	return [3]uint32{hv, hv, d}
}

// cmS is i4_adm_cm for scales 1-3.
func (m *admWorker) cmS(w, h, scale int) float32 {
	left, top, right, bottom := admRegion(w, h)
	rf := admRfactorU32(scale)
	cubSh := uint(math.Ceil(math.Log2(float64(w))))
	cubAdd := int64(uint32(math.Pow(2, float64(int(cubSh)-1))))
	rowSh := uint(math.Ceil(math.Log2(float64(h))))
	rowAdd := int64(uint32(math.Pow(2, float64(int(rowSh)-1))))
	var acc [3]int64
	if cap(m.thr) < right-left {
		m.thr = make([]int32, right-left)
	}
	thr := m.thr[:right-left]
	// Row by row, as in cm0; the int32 sums of the threshold wrap as in
	// the per-pixel order of libvmaf, since wrapping sums are exact in any
	// order too.
	for i := top; i < bottom; i++ {
		up, down := admNeighbours(i, h)
		clear(thr)
		for k := 0; k < 3; k++ {
			f := m.csfF[k]
			admThrRow32(f[up*w:][:w], f[i*w:][:w], f[down*w:][:w], m.csfA[k][i*w:][:w], left, thr)
		}
		for k := 0; k < 3; k++ {
			p := admPoolConsts{1 << 29, 30, uint64(cubAdd), uint64(cubSh)}
			inner := admPoolRow32(m.r[k][i*w+left:i*w+right], thr, rf[k], &p)
			acc[k] += (inner + rowAdd) >> rowSh
		}
	}
	area := (bottom - top) * (right - left)
	powAdd := powf3(float32(float64(area) * 0.03125))
	p := [3]int{45, 39, 36}[scale-1]
	finalShift := float32(math.Pow(2, float64(p-int(cubSh)-int(rowSh))))
	var sum float32
	for k := 0; k < 3; k++ {
		f := float32(acc[k]) / finalShift
		sum += powf3(f) + powAdd
	}
	return sum
}

// admThrRow16 adds, for the columns left..left+len(thr)-1 of one row of a
// scale-0 band, the masking threshold's 3x3 sum to thr: the 1/30 values
// of the rows above (fu), at (fi) and below (fd), with the centre taken
// from the CSF value a at 1/15. The AVX2 kernel takes the columns that
// have both neighbours inside the row, a multiple of 8 of them.
func admThrRow16(fu, fi, fd, a []int16, left int, thr []int32) {
	w := len(fi)
	fu, fd, a = fu[:w], fd[:w], a[:w]
	right := left + len(thr)
	j := left
	for ; j < right && j < 1; j++ {
		thr[j-left] += admThr16(fu, fi, fd, a, j)
	}
	if n8 := (min(right, w-1) - j) &^ 7; admAVX2 && n8 > 0 {
		admThr16AVX2(&fu[j], &fi[j], &fd[j], &a[j], n8, &thr[j-left])
		j += n8
	}
	for ; j < right; j++ {
		thr[j-left] += admThr16(fu, fi, fd, a, j)
	}
}

func admThr16(fu, fi, fd, a []int16, j int) int32 {
	jl, jr := admNeighbours(j, len(fi))
	return int32(fu[jl]) + int32(fu[j]) + int32(fu[jr]) +
		int32(fi[jl]) + int32(int16((8738*abs32(int32(a[j]))+2048)>>12)) + int32(fi[jr]) +
		int32(fd[jl]) + int32(fd[j]) + int32(fd[jr])
}

// admThrRow32 is admThrRow16 for the int32 bands of scales 1-3.
func admThrRow32(fu, fi, fd, a []int32, left int, thr []int32) {
	w := len(fi)
	fu, fd, a = fu[:w], fd[:w], a[:w]
	right := left + len(thr)
	j := left
	for ; j < right && j < 1; j++ {
		thr[j-left] += admThr32(fu, fi, fd, a, j)
	}
	if n8 := (min(right, w-1) - j) &^ 7; admAVX2 && n8 > 0 {
		admThr32AVX2(&fu[j], &fi[j], &fd[j], &a[j], n8, &thr[j-left])
		j += n8
	}
	for ; j < right; j++ {
		thr[j-left] += admThr32(fu, fi, fd, a, j)
	}
}

func admThr32(fu, fi, fd, a []int32, j int) int32 {
	jl, jr := admNeighbours(j, len(fi))
	centre := int32((286331153*int64(abs32(a[j])) - 1<<31) >> 32)
	return fu[jl] + fu[j] + fu[jr] + fi[jl] + centre + fi[jr] + fd[jl] + fd[j] + fd[jr]
}

// admPoolConsts are the rounding constants of one band's pooling: the
// square is (x*x + sqAdd) >> sqSh, the cube (sq*x + cubAdd) >> cubSh.
type admPoolConsts struct {
	sqAdd        int64
	sqSh, cubAdd uint64
	cubSh        uint64
}

// admPoolKernel reports whether the pooling kernels can take p: their
// 64-bit shifts need counts below 64 (tiny bands give other counts).
func admPoolKernel(p *admPoolConsts) bool { return admAVX2 && p.sqSh < 64 && p.cubSh < 64 }

// admPoolRow16 returns the pooled sum of one row of a restored scale-0
// band r: each value weighted by rw, less its threshold thr << sub,
// clamped at 0 and cubed with the rounding of p. The AVX2 kernel takes
// the first columns, a multiple of 8 of them.
func admPoolRow16(r []int16, thr []int32, rw int32, sub uint, p *admPoolConsts) int64 {
	thr = thr[:len(r)]
	var inner int64
	j := 0
	if n8 := len(r) &^ 7; n8 > 0 && admPoolKernel(p) {
		k := *p
		k.cubAdd += 1 << 63
		inner = int64(admPool16AVX2(&r[0], &thr[0], n8, rw, sub, &k) - uint64(n8)<<(63-p.cubSh))
		j = n8
	}
	for ; j < len(r); j++ {
		x := abs32(int32(r[j])*rw) - thr[j]<<sub
		inner += admCube(x, p)
	}
	return inner
}

// admPoolRow32 is admPoolRow16 for the int32 bands of scales 1-3, with
// the CSF factor rf in Q32.
func admPoolRow32(r []int32, thr []int32, rf uint32, p *admPoolConsts) int64 {
	thr = thr[:len(r)]
	var inner int64
	j := 0
	if n8 := len(r) &^ 7; n8 > 0 && admPoolKernel(p) && rf < 1<<31 {
		k := *p
		k.cubAdd += 1 << 63
		inner = int64(admPool32AVX2(&r[0], &thr[0], n8, int64(rf), &k) - uint64(n8)<<(63-p.cubSh))
		j = n8
	}
	for ; j < len(r); j++ {
		x := int32((int64(r[j])*int64(rf) + 1<<27) >> 28)
		inner += admCube(abs32(x)-thr[j], p)
	}
	return inner
}

// admCube is the pooled term of one masked value x: 0 below 0, else the
// rounded cube with the int32 wrap of the square that libvmaf has.
func admCube(x int32, p *admPoolConsts) int64 {
	if x < 0 {
		x = 0
	}
	xsq := int32((int64(x)*int64(x) + p.sqAdd) >> p.sqSh)
	return (int64(xsq)*int64(x) + int64(p.cubAdd)) >> p.cubSh
}
