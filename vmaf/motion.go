package vmaf

// Integer motion (feature/integer_motion.c). The motion of frame i is the
// mean absolute difference between blurred reference frames i-1 and i; the
// model feature motion2 is min(sad[i], sad[i+1]), with sad[n-1] for the
// last frame and 0 for the first. Only the reference is used.

var motionFilter = [5]int64{3571, 16004, 26386, 16004, 3571}

// motionMaxVal is libvmaf's default motion_max_val.
const motionMaxVal = 10000.0

// motionWorker holds scratch rows for the SAD computation.
type motionWorker struct {
	diff []int64  // vertical pass of the difference (libvmaf 3.2)
	blur []uint16 // vertical pass of one frame (libvmaf 3.0.0)
	rowA []int64
	rowB []int64
}

// sad returns libvmaf 3.2's motion score of cur against prev: the blur is
// applied to the difference prev-cur, with reflect-101 borders on both
// axes, and the score is in 8-bit sample units for every bit depth.
func (m *motionWorker) sad(prev, cur *luma) float64 {
	w, h, bpc := cur.w, cur.h, cur.bpc
	if cap(m.diff) < w+4 {
		m.diff = make([]int64, w+4)
	}
	row := m.diff[:w+4]
	yRound := int64(1) << (bpc - 1)
	var total uint64
	for i := 0; i < h; i++ {
		var rows [5]int
		for k := range rows {
			rows[k] = reflect101(i-2+k, h)
		}
		p0, p1, p2, p3, p4 := prev.pix[rows[0]*w:][:w], prev.pix[rows[1]*w:][:w], prev.pix[rows[2]*w:][:w], prev.pix[rows[3]*w:][:w], prev.pix[rows[4]*w:][:w]
		c0, c1, c2, c3, c4 := cur.pix[rows[0]*w:][:w], cur.pix[rows[1]*w:][:w], cur.pix[rows[2]*w:][:w], cur.pix[rows[3]*w:][:w], cur.pix[rows[4]*w:][:w]
		out := row[2 : w+2]
		var any int64
		n8, n4 := 0, 0
		if motionAVX2 && bpc <= 12 {
			n8, n4 = w&^7, w&^3
		}
		if n8 > 0 {
			ptrs := [10]*uint16{&p0[0], &p1[0], &p2[0], &p3[0], &p4[0], &c0[0], &c1[0], &c2[0], &c3[0], &c4[0]}
			if motionVertAVX2(&ptrs, n8, int32(yRound), uint(bpc), &out[0]) {
				any = 1
			}
		}
		for j := n8; j < len(out); j++ {
			acc := 3571*(int64(p0[j])-int64(c0[j])) +
				16004*(int64(p1[j])-int64(c1[j])) +
				26386*(int64(p2[j])-int64(c2[j])) +
				16004*(int64(p3[j])-int64(c3[j])) +
				3571*(int64(p4[j])-int64(c4[j]))
			v := int64(int32((acc + yRound) >> bpc))
			out[j] = v
			any |= v
		}
		if any == 0 {
			continue
		}
		row[1], row[0] = row[3], row[4]
		row[w+2], row[w+3] = row[w], row[w-1]
		var rowSAD uint32
		if n4 > 0 {
			rowSAD = motionHorizAVX2(&row[0], n4)
		}
		for j := n4; j < w; j++ {
			t := row[j : j+5 : j+5]
			acc := 3571*t[0] + 16004*t[1] + 26386*t[2] + 16004*t[3] + 3571*t[4]
			v := int32((acc + 32768) >> 16)
			if v < 0 {
				v = -v
			}
			rowSAD += uint32(v)
		}
		total += uint64(rowSAD)
	}
	return min(float64(total)/256.0/float64(w*h), motionMaxVal)
}

// blurV30 blurs one frame as libvmaf 3.0.0 did: vertical pass rounded to
// uint16, then horizontal pass, with the far edge mirrored as 2n-1-idx
// (the edge sample repeated).
func (m *motionWorker) blurV30(src *luma, dst []uint16) {
	w, h, bpc := src.w, src.h, src.bpc
	if cap(m.blur) < w+4 {
		m.blur = make([]uint16, w+4)
	}
	row := m.blur[:w+4]
	mirror := func(i, n int) int {
		if i < 0 {
			return -i
		}
		if i >= n {
			return 2*n - 1 - i
		}
		return i
	}
	rnd := uint32(1) << (bpc - 1)
	for i := 0; i < h; i++ {
		var rows [5][]uint16
		for k := range rows {
			r := mirror(i-2+k, h)
			rows[k] = src.pix[r*w : r*w+w]
		}
		for j := 0; j < w; j++ {
			acc := 3571*uint32(rows[0][j]) + 16004*uint32(rows[1][j]) + 26386*uint32(rows[2][j]) +
				16004*uint32(rows[3][j]) + 3571*uint32(rows[4][j])
			row[j+2] = uint16((acc + rnd) >> uint(bpc))
		}
		row[1], row[0] = row[2+mirror(-1, w)], row[2+mirror(-2, w)]
		row[w+2], row[w+3] = row[2+mirror(w, w)], row[2+mirror(w+1, w)]
		out := dst[i*w : i*w+w]
		for j := 0; j < w; j++ {
			acc := 3571*uint32(row[j]) + 16004*uint32(row[j+1]) + 26386*uint32(row[j+2]) +
				16004*uint32(row[j+3]) + 3571*uint32(row[j+4])
			out[j] = uint16((acc + 32768) >> 16)
		}
	}
}

// sadV30 is libvmaf 3.0.0's score of two blurred frames: the sum of
// absolute differences, normalised through a float32.
func sadV30(a, b []uint16, w, h int) float64 {
	var total uint64
	for i := 0; i < h; i++ {
		var rowSAD uint32
		ra, rb := a[i*w:i*w+w], b[i*w:i*w+w]
		for j := range ra {
			d := int32(ra[j]) - int32(rb[j])
			if d < 0 {
				d = -d
			}
			rowSAD += uint32(d)
		}
		total += uint64(rowSAD)
	}
	return float64(float32(float64(total)/256.0) / float32(w*h))
}

// motion2 turns the per-frame SAD scores into the model feature: frame 0
// is 0, frame i is min(sad[i], sad[i+1]), the last frame is sad[n-1].
// next is the SAD of the following frame, or hasNext false at the end.
func motion2(i int64, sad, next float64, hasNext bool) float64 {
	if i == 0 {
		return 0
	}
	if !hasNext {
		return sad
	}
	return min(sad, next)
}
