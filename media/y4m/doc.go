// Package y4m reads and writes uncompressed video: YUV4MPEG2 (.y4m) streams
// and headerless raw planar YUV (.yuv) files, as FFmpeg, x264 and libvmaf's
// tools produce them. Both readers implement media.FrameReader.
//
// It depends on the standard library and package media only.
//
// A .y4m stream starts with a header line ("YUV4MPEG2 W1920 H1080 F24:1
// Ip A1:1 C420jpeg") that gives the size, frame rate, interlacing, pixel
// aspect and colour space; every frame follows a "FRAME" line. Samples of
// more than 8 bits are 16-bit little-endian, as FFmpeg writes them. Raw
// .yuv files carry no header, so their size and format come from the caller.
//
//	r, err := y4m.Open("clip.y4m")
//	if err != nil {
//		return err
//	}
//	defer r.Close()
//	for {
//		f, err := r.ReadFrame(ctx)
//		if errors.Is(err, io.EOF) {
//			break
//		}
//		if err != nil {
//			return err // wraps ErrTruncated, ErrBadHeader, ...
//		}
//		use(f) // valid until the next ReadFrame
//	}
package y4m
