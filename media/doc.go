// Package media holds the plain value types that reel's cores share: a
// decoded video Frame made of Planes, its pixel Format, and the FrameReader
// interface through which decoders hand frames to consumers such as vmaf
// and archer.
//
// It depends on the standard library only, so that pure-Go cores (vmaf) can
// use it without pulling in cgo.
//
// A Frame's planes usually point straight into a decoder's buffers (no
// copy). Such a frame is valid only until the next ReadFrame call on the
// reader that produced it; call Clone to keep it longer.
//
//	for {
//		f, err := r.ReadFrame(ctx)
//		if errors.Is(err, io.EOF) {
//			break
//		}
//		if err != nil {
//			return err
//		}
//		y := f.Planes[0]
//		fmt.Println(f.Index, y.Width, y.Height, y.Sample(0, 0))
//	}
package media
