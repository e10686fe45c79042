// Package encode is reel's FFmpeg core and the only importer of go-astiav
// (cgo, FFmpeg 5.1). It probes media, decodes frame-exact ranges into
// media.Frame values, filters (scale, pixel format, fps), encodes with
// libx264, libx265, libsvtav1, libvpx-vp9, prores_ks or ffv1, muxes mp4, mov,
// mkv or MPEG-TS, and concatenates chunks by stream copy.
//
// Inputs are a local path or an io.ReaderAt with its size (Input); the
// package never knows about object storage. Frame indices count from 0 in
// presentation order and assume a constant frame rate.
//
// Probe reads as little of an input as it can, since the input may be a
// mezzanine in S3: the frame count from the container or, where it declares
// none (Matroska, MPEG-TS, MXF), from the timestamps at its end; keyframes
// from the container's index (MP4/MOV, Matroska cues) or, for an intra-only
// codec, every frame. It reads every packet only when none of these can be
// trusted, or for keyframes that no index lists (ProbeOptions.Keyframes).
//
// A chunked encode is EncodeRange per chunk, then Concat:
//
//	in := encode.FileInput("mezz.mov")
//	p := encode.Profile{Codec: "x264", CRF: 23, Preset: "veryfast", GOP: 50}
//	a, _ := encode.EncodeRange(ctx, in, "c0.mp4", p, 0, 110, nil)
//	b, _ := encode.EncodeRange(ctx, in, "c1.mp4", p, 110, 250, nil)
//	_, err := encode.Concat(ctx, []string{"c0.mp4", "c1.mp4"}, "out.mp4",
//		encode.ConcatOptions{ExpectFrames: a.Frames + b.Frames})
//
// Every chunk of one Profile has byte-identical stream headers (extradata),
// which Concat checks. Outputs are written to a temporary name and renamed,
// so a failure never leaves a partial file. Errors match the sentinels in
// errors.go with errors.Is.
//
// Known limits: frame indices assume a constant frame rate (a VFR source is
// indexed by rounding its timestamps); go-astiav v0.16.0 never removes a
// custom-IO handler from its global map, so each ReaderInput opened leaks a
// few bytes in a long-running process; HDR10 static metadata (mastering
// display, content light level) is copied at container level only, dynamic
// HDR metadata is not carried; encoders' output depends on their thread
// count (x264 lookahead), so a chunk re-encoded with other Threads has
// different bits (but the same headers).
package encode
