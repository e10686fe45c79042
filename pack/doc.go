// Package pack turns the rungs of a ladder into a streaming package: CMAF
// (fragmented MP4) segments for every rung and every audio track, an HLS
// master playlist with a media playlist per track, and a DASH MPD that
// describes the same segment files.
//
// It reads and writes MP4 boxes, never pixels: Eyevinn's mp4ff parses the
// progressive inputs and writes the init and media segments, hls-m3u8 writes
// the playlists and dash-mpd the MPD, all at pinned versions. Inputs are
// io.ReaderAt (a file, a mezzfs object), so it does not know about S3.
//
// # Segments
//
// The first rung decides the boundaries: a segment ends at the first
// keyframe at or after Config.Segment (less half a frame). Before anything is
// written, every other rung must have the same frame count and a keyframe on
// each boundary frame at the same time, else Package fails with
// ErrMisaligned naming the rung and the frame. Audio is cut at the first
// sample at or after each video boundary. Video edit lists (the B-frame
// delay) move into signed composition offsets (trun version 1), so the first
// frame is shown at 0 without an edit list, as CMAF prefers; an audio edit
// (AAC priming) stays in the init segment's edit list and becomes DASH's
// presentationTimeOffset.
//
// # Manifests
//
// HLS (version 7, VOD, independent segments): a variant per rung with
// BANDWIDTH = the rung's peak segment bitrate + the highest audio peak,
// AVERAGE-BANDWIDTH = its mean bitrate + the highest audio mean (segment
// bytes from the files as written; Track.Bandwidth and
// Track.AverageBandwidth hold them for reports), CODECS (avc1.PPCCLL from the avcC, hvc1.… from the HEVC SPS,
// mp4a.40.N from the AAC config), RESOLUTION, FRAME-RATE and an audio group
// with one rendition per audio track. DASH: a static live-profile MPD, one
// video adaptation set, one audio adaptation set per track, a
// SegmentTemplate with a SegmentTimeline per representation.
//
// # Output
//
// Everything is written into a temporary directory beside the target and
// renamed into place when complete (an older package is moved aside and
// removed only after the rename): a failure leaves the old package or none.
// Package writes local directories only; workflows.PublishPackage uploads
// one to a mezzfs store (s3://) in an order that never shows a manifest
// before its segments. Config.Formats chooses HLS, DASH or both.
//
// # Audio
//
// Audio comes from the audio inputs (Input.Track picks among a file's
// audio tracks), or, with none, from every audio track of the first rung,
// so that a rung assembled with several languages loses none.
//
// # Limits
//
// Video must be AVC or HEVC (hvc1/hev1) and audio AAC (ErrUnsupported
// otherwise); inputs must be progressive MP4s.
//
// # Example
//
//	res, err := pack.Package(ctx, pack.Config{Segment: 4 * time.Second},
//		[]pack.Input{{Name: "720p.mp4", R: f720, Size: n720}, {Name: "360p.mp4", R: f360, Size: n360}},
//		nil, "out/pkg") // audio from the first rung
//	// out/pkg/master.m3u8, out/pkg/manifest.mpd, out/pkg/v0/..., out/pkg/a0/...
package pack
