// Package encode is reel's FFmpeg core and the only importer of go-astiav
// (cgo, FFmpeg 5.1). It probes media, decodes frame-exact ranges into
// media.Frame values, filters (scale, pixel format, fps), encodes with
// libx264, libx265, libsvtav1, libvpx-vp9, prores_ks or ffv1, muxes mp4, mov,
// mkv or MPEG-TS, and concatenates chunks by stream copy.
//
// Inputs are a local path or an io.ReaderAt with its size (Input); the
// package never knows about object storage. Frame n is the n-th frame
// presented, as FFmpeg's own pipeline (the ffmpeg CLI) sees it (index.go):
// MPEG-4 packed B-frames unpacked (mpeg4_unpack_bframes), missing or
// duplicate timestamps repaired, AVI counted by its frame slots with empty
// "repeat" chunks as repeats of the frame before. Decoding maps a frame's
// timestamp to its number through that index, or counts from a known
// keyframe where there are no presentation timestamps (AVI).
//
// Probe reads as little of an input as it can, since the input may be a
// mezzanine in S3: MP4/MOV from the sample table (every frame's decode time,
// no packet read) when it is evenly spaced or needs no reordering; where the
// container declares no count (Matroska, MPEG-TS, MXF), from the timestamps
// at its end, at a constant rate (an MPEG-TS only when timestamps sampled
// across the file show no discontinuity: one that jumps, back or more than
// 10 s on, is read whole and numbered across the jump in decode order, as
// the ffmpeg CLI offsets it away); keyframes from the container's index
// (MP4/MOV, Matroska cues) or, for an intra-only codec, every frame. It reads
// every packet (no decoding) for anything else: AVI, a variable-rate MP4
// with B-frames, a tail that cannot be trusted, or keyframes that no index
// lists (ProbeOptions.Keyframes). BenchmarkIndex2h (2 hours of 1080p25,
// 180,000 frames, 1.8 to 3.0 GB; `go test -run '^$' -bench Index2h
// -benchtime 1x ./encode/` alone on a 2-core machine): Probe reads 0.96
// to 4.2 MB (at most 0.2% of the file) in 0.04 to 0.11 s for long-GOP and
// intra-only H.264 in MP4, Matroska and MPEG-TS. MXF is counted from the container and
// reached through its own index table by FFmpeg's mxf demuxer seek
// (mxf_test.go: a probe or a range of a 300-frame DNxHR or long-GOP
// MPEG-2 MXF reads a fifth to a quarter of the file, mostly the
// demuxer's open).
//
// The index is a value (Index, Info.FrameIndex): given back in
// Input.Index, an open of the same source builds none, so a job indexes a
// source that needs a packet scan once, not once per chunk. Its binary
// form (MarshalBinary, versioned) is two to five bytes a frame; an index
// of another source is refused (ErrIndexMismatch).
//
// An MP4/MOV edit list is applied as the ffmpeg CLI applies it: frame 0
// is the first frame it presents (Info.EditList). A source's start
// timecode (Info.Timecode: a tmcd track, MXF or stream metadata) is
// carried to each chunk, moved on by the chunk's first frame, and Concat
// keeps the first chunk's, so the joined output starts at the source's.
//
// Damage is worked around by default as the ffmpeg CLI does, and listed
// (Info.Problems, ChunkResult.Problems, FrameReader.Problems): a container
// that promises more frames than its data holds gives the frames there are,
// a frame the decoder does not deliver is replaced by the one before. The
// Strict options refuse instead (ErrTruncated, ErrInvalidData), for QC gates.
// A threaded decode that meets damage (a concealed frame, a frame not
// delivered, a packet refused) decodes the range again on one thread from
// its start, delivering only the frames not yet delivered: FFmpeg's frame
// threads flag and drop damaged frames by timing, and the problem list and
// the frames must not depend on it (damage_test.go).
//
// Probe reports the scan (VideoStream.FieldOrder, Interlaced: from the
// codec parameters, else the first frame's flags) and HDR (VideoStream.HDR:
// PQ or HLG transfer, HDR10 mastering display and content light level from
// the container, else from the first frame's side data, i.e. the SEI).
// Profile.Deinterlace (bwdif, yadif) deinterlaces before scaling, one frame
// per frame; a chunk decodes the frames either side of its range for the
// deinterlacer, so chunks equal a whole-file pass, and
// DecodeOptions.Deinterlace gives scoring the same reference frames.
// Without a deinterlacer, x264 encodes an interlaced source as fields
// (interlaced=1, tff or bff as the source, field order tagged, scaled
// field by field), so a probe of the output shows the source's order. With
// x265, HDR10 metadata is written into the bitstream (master-display,
// max-cll) as well as at container level; PQ/HLG and BT.2020 tags and the
// bit depth are kept.
//
// A variable frame rate stays variable: EncodeRange keeps the source's
// timestamps (relative to the chunk's first frame) and each frame's
// duration, and Concat reproduces them exactly. Profile.FPS converts it as
// the fps filter does, from the index's timestamps, frame-exactly across
// chunks (a range owns the grid points from its first frame's time to its
// end's); DecodeOptions.FPS decodes a range converted the same way, the
// reference for scoring a converted chunk.
//
// EncodeOptions.Pairs scores without a second pass: each source frame the
// encoder is given is also the reference, and each packet it makes is
// decoded in process and scaled back, so a metric sees, byte for byte, the
// frames OpenFrames would read from the source range and the stored output
// (TestPairsEqualSecondPass: x264, x265 and SVT-AV1, 10-bit, 4:2:2
// sources, deinterlaced, coded as fields, variable rate). Only the
// encoder's delay is held (ChunkResult.Window; the test logs it: 15
// frames for x264 veryfast on one thread, 20 on two, 45 for medium), about
// 3 MB a frame at 1080p 8-bit.
//
// Audio is not in the chunks: Encode and Concat take it from the source
// (EncodeOptions.Audio, ConcatOptions.AudioMode), copied or re-encoded
// (aac, opus), trimmed to the video's span in programme time, whose zero is
// the first video frame. Copying keeps the packet that ends where the span
// starts (AAC's encoder delay, and the overlap the next frame needs); the
// muxer's edit list hides it. Across an MPEG-TS discontinuity the audio
// read from the start takes the video's shift (the frame index numbers the
// video one frame after the frame before the jump), so it stays with its
// pictures; the second capture's audio that overlaps the first's end (its
// priming, the first's padding) is dropped, up to two audio frames, and a
// re-encode keeps samples on their timestamps. A PCM track with only a
// channel count (AVI, MXF) is encoded with the named layout for that
// count. One track is taken, the first unless
// AudioTrack (its index among the audio streams) or AudioLanguage (the
// first with that ISO 639 tag) names another (ErrNoAudioTrack, listing the
// tracks, when none matches); copy-all copies every track, in source order,
// with its language and title, the first flagged default. Sync is measured
// on a click track (audiotracks_test.go): every click within one AAC frame
// (21.3 ms) of its flash, constant or variable rate, chunked or not; the
// measured offsets are under 1 ms. Matroska and MPEG-TS cannot start a
// track before zero, so there both tracks start 21 ms late, together.
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
// Render (render.go) turns an image sequence into a review movie: each
// frame file is read whole through a FrameFiles (local, or mezzfs bytes
// from the caller) and decoded with the image decoder its extension names
// (EXR, DPX, TIFF, PNG), so a missing frame can be filled (a black frame,
// a held one) and a truncated EXR is caught (checkEXR: FFmpeg 5.1 decodes
// one half black without an error). Scene-linear float frames go through
// zscale's display-referred transform (inverse BT.1886 or sRGB EOTF), an
// optional lut3d (with SceneLUT, the LUT alone: an OCIO view baked with a
// shaper takes the scene-linear values), swscale to BT.709 Y'CbCr, then drawtext burn-ins whose
// per-frame text arrives as frame metadata (never parsed by the graph),
// into prores_ks (422 HQ, 4444), libx264 or DNxHR. QC (NaN/Inf, black,
// frozen) is counted on the decoded frames. docs/render.md has the
// transform and the thresholds. RenderPiece (render_piece.go) renders a
// chunk of those frames with the same settings, so that pieces joined by
// Concat are the movie Render makes (H.264 at a constant QP, pieces on GOP
// boundaries; QC given the frame before the piece).
//
// Render's frames are fitted to a size (letterbox, crop, stretch;
// render_layout.go); mask bars are blended in Go on the filtered frame,
// because FFmpeg 5.1's drawbox is 8-bit only; burn-ins are a second graph
// placed relative to the picture. A sound file is resampled, trimmed and
// padded (render_audio.go) and interleaved with the pictures, silent
// under the slate. SequenceReader (render_frames.go) delivers a sequence
// as media.Frame values through the same decoding and display transform,
// for comparisons.
//
// Known limits: Matroska and MPEG-TS are indexed at a constant rate from
// their tail (a variable-rate Matroska file is numbered by rounding its
// timestamps, and a hole repeats the frame before); an MPEG-TS
// discontinuity is found by sampling 6 to 16 byte positions, so a jump
// forward small against the stretch between two samples is taken as a gap
// of repeated frames; AVI, variable-rate MP4 with B-frames and an MPEG-TS
// with a discontinuity are read whole to index them, once per Probe and
// per open not given the Index; the audio of a one-file Encode that
// starts after an MPEG-TS discontinuity is not moved by the jump (only a
// read from the start follows it; the chunked path's Concat always reads
// from the start); go-astiav v0.16.0 never removes a
// custom-IO handler from its global map, so each ReaderInput opened leaks a
// few bytes in a long-running process; HDR10 static metadata (mastering
// display, content light level) goes into the bitstream only with x265
// (other encoders get it at container level only), dynamic HDR metadata
// (HDR10+, Dolby Vision) is not carried; Debian's libx264 (0.164.3095) with mb-tree (every preset but ultrafast and superfast) can write streams that depend on leftover heap contents (the ffmpeg CLI shows it too under MALLOC_PERTURB_), so such renditions are not always reproducible byte for byte, nor frame for frame, across attempts and workers (seen at medium within one process, and at veryfast between worker processes; the multi-host test therefore encodes at superfast); field coding is x264's only (other
// codecs code an interlaced source's woven frames as progressive); a
// deinterlaced encode with
// Profile.FPS has no context frames at chunk edges (chunks may differ
// from a whole-file pass at their first and last frame); encoders' output depends on their thread
// count (x264 lookahead), so a chunk re-encoded with other Threads has
// different bits (but the same headers).
package encode
