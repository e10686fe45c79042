package encode

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/asticode/go-astiav"
)

// ConcatOptions controls Concat.
type ConcatOptions struct {
	// ExpectFrames, when > 0, is the number of video frames the result must
	// have; any other count fails with ErrHeaderMismatch.
	ExpectFrames int64 `json:"expect_frames,omitempty"`
	// Container of the output ("" = from the extension).
	Container string `json:"container,omitempty"`
	// Audio, when AudioMode is copy, copy-all, aac or opus, is muxed in:
	// the audio of the programme from AudioStart seconds, cut at the end of
	// the video. AudioTrack and AudioLanguage choose the track as in
	// EncodeOptions.
	Audio         Input   `json:"-"`
	AudioMode     string  `json:"audio_mode,omitempty"`
	AudioBitrate  int64   `json:"audio_bitrate,omitempty"`
	AudioStart    float64 `json:"audio_start,omitempty"`
	AudioTrack    int     `json:"audio_track,omitempty"`
	AudioLanguage string  `json:"audio_language,omitempty"`
	// Sound, when not nil, is a review movie's sound muxed as Render muxes
	// RenderOptions.Audio (render submit joins pieces rendered without
	// it): silence under the slate, then the file's sound trimmed or
	// padded to the pictures. It needs ExpectFrames and excludes AudioMode.
	Sound *ConcatSound `json:"-"`
}

// ConcatSound is ConcatOptions.Sound.
type ConcatSound struct {
	In Input
	// VideoCodec is the movie's render codec (h264 takes AAC, the others
	// PCM s24le); SlateFrames the frames before the sequence's first.
	VideoCodec  string
	SlateFrames int64
	FPS         Rational
}

// audioWriter interleaves a movie's audio with its video: writeUntil
// writes the audio up to t seconds.
type audioWriter interface {
	writeUntil(t float64) error
}

// ConcatResult describes the assembled output.
type ConcatResult struct {
	Path     string  `json:"path"`
	Chunks   int     `json:"chunks"`
	Frames   int64   `json:"frames"`
	Bytes    int64   `json:"bytes"`
	Duration float64 `json:"duration"` // seconds of video
	Audio    string  `json:"audio,omitempty"`
	// AudioTracks is the number of audio streams written.
	AudioTracks int `json:"audio_tracks,omitempty"`
}

// Concat joins chunks made by EncodeRange with one Profile into outPath by
// stream copy. Each chunk's timestamps are offset by the end (max pts +
// duration) of what is already written. Chunks whose codec, size, pixel
// format or extradata differ from the first fail with ErrHeaderMismatch.
func Concat(ctx context.Context, chunkPaths []string, outPath string, opts ConcatOptions) (*ConcatResult, error) {
	const op = "concat"
	if len(chunkPaths) == 0 {
		return nil, newErr(op, outPath, ErrEmpty, nil, "no chunks to concatenate")
	}
	first, err := openDemuxer(ctx, op, FileInput(chunkPaths[0]))
	if err != nil {
		return nil, err
	}
	fvs := first.videoStream()
	if fvs == nil {
		first.close()
		return nil, newErr(op, chunkPaths[0], ErrNoVideo, nil, "no video stream")
	}
	ref := astiav.AllocCodecParameters()
	defer ref.Free()
	if err := fvs.CodecParameters().Copy(ref); err != nil {
		first.close()
		return nil, newErr(op, chunkPaths[0], ErrInvalidData, err, "copying codec parameters")
	}
	// MOV keeps the aspect ratio in its pasp atom, which the demuxer puts
	// on the stream, not in the codec parameters: carry it over, or a
	// ProRes movie joined from pieces loses it
	if sar := fvs.SampleAspectRatio(); ref.SampleAspectRatio().Num() == 0 && sar.Num() > 0 && sar.Den() > 0 {
		ref.SetSampleAspectRatio(sar)
	}
	fps := streamFPS(fvs)
	// the chunks' own time base: a variable-rate chunk's timestamps are
	// not on a 1/fps grid
	tb := fvs.TimeBase()
	sideData := map[astiav.PacketSideDataType][]byte{}
	for _, t := range []astiav.PacketSideDataType{astiav.PacketSideDataTypeMasteringDisplayMetadata, astiav.PacketSideDataTypeContentLightLevel} {
		if b := fvs.SideData(t); len(b) > 0 {
			sideData[t] = append([]byte(nil), b...)
		}
	}
	tc := sourceTimecode(first.fc, fvs) // the first chunk's: the source's start
	first.close()

	out, err := newOutput(op, outPath, opts.Container)
	if err != nil {
		return nil, err
	}
	defer out.abort()
	ost := out.fc.NewStream(nil)
	if ost == nil {
		return nil, newErr(op, outPath, ErrOutputUnwritable, nil, "cannot add a stream")
	}
	if err := ref.Copy(ost.CodecParameters()); err != nil {
		return nil, newErr(op, outPath, ErrInvalidData, err, "copying codec parameters")
	}
	out.setCodecTag(ost.CodecParameters())
	if err := setTimecode(ost, tc); err != nil {
		return nil, newErr(op, outPath, ErrOutputUnwritable, err, "setting the timecode")
	}
	for _, t := range []astiav.PacketSideDataType{astiav.PacketSideDataTypeMasteringDisplayMetadata, astiav.PacketSideDataTypeContentLightLevel} {
		if b := sideData[t]; len(b) > 0 {
			if err := ost.AddSideData(t, b); err != nil {
				return nil, newErr(op, outPath, ErrOutputUnwritable, err, "copying HDR metadata")
			}
		}
	}
	ost.SetTimeBase(tb)
	ost.SetAvgFrameRate(fps)

	var (
		audio *audioSource
		sound *renderAudio
		aw    audioWriter
	)
	if opts.Sound != nil {
		if opts.ExpectFrames <= 0 || (opts.AudioMode != "" && opts.AudioMode != "none") {
			return nil, newErr(op, outPath, ErrInvalidData, nil, "a render's sound needs the frame count and no other audio")
		}
		s := opts.Sound
		lead := samplesFor(s.SlateFrames, s.FPS)
		body := samplesFor(opts.ExpectFrames, s.FPS) - lead
		if sound, err = newRenderAudio(ctx, op, s.In, out, s.VideoCodec, lead, body); err != nil {
			return nil, err
		}
		defer sound.close()
		aw = sound
	} else if opts.AudioMode != "" && opts.AudioMode != "none" {
		spec := audioSpec{mode: opts.AudioMode, track: opts.AudioTrack, lang: opts.AudioLanguage, bitrate: opts.AudioBitrate}
		audio, err = newAudioSource(ctx, op, opts.Audio, out, spec, opts.AudioStart, 0)
		if err != nil {
			return nil, err
		}
		defer audio.close()
		aw = audio
	}
	if err := out.start(); err != nil {
		return nil, err
	}
	otb := ost.TimeBase()
	if audio != nil {
		audio.started()
	}

	var (
		offset  int64 // in otb: where the next chunk starts
		lastDts = astiav.NoPtsValue
		frames  int64
	)
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	for _, path := range chunkPaths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, end, err := copyChunk(ctx, path, out, ost, ref, pkt, offset, &lastDts, aw)
		if err != nil {
			return nil, err
		}
		frames += n
		offset = end
	}
	if opts.ExpectFrames > 0 && frames != opts.ExpectFrames {
		return nil, newErr(op, outPath, ErrHeaderMismatch, nil, "%d frames from %d chunks, expected %d", frames, len(chunkPaths), opts.ExpectFrames)
	}
	if audio != nil {
		if err := audio.writeUntil(float64(offset)*otb.Float64() - 1e-9); err != nil {
			return nil, err
		}
	}
	if sound != nil {
		if err := sound.writeUntil(-1); err != nil { // trimmed or padded to the pictures already
			return nil, err
		}
	}
	size, err := out.finish()
	if err != nil {
		return nil, err
	}
	res := &ConcatResult{Path: outPath, Chunks: len(chunkPaths), Frames: frames, Bytes: size, Duration: float64(offset) * otb.Float64()}
	if audio != nil {
		res.Audio, res.AudioTracks = audio.mode, len(audio.tracks)
	}
	if sound != nil {
		res.Audio, _ = renderAudioCodec(opts.Sound.VideoCodec)
		res.AudioTracks = 1
	}
	return res, nil
}

// copyChunk appends one chunk's video packets; it returns the frame count
// and the new end offset in the output time base.
func copyChunk(ctx context.Context, path string, out *output, ost *astiav.Stream, ref *astiav.CodecParameters, pkt *astiav.Packet,
	offset int64, lastDts *int64, audio audioWriter) (int64, int64, error) {
	const op = "concat"
	d, err := openDemuxer(ctx, op, FileInput(path))
	if err != nil {
		return 0, 0, err
	}
	defer d.close()
	vs := d.videoStream()
	if vs == nil {
		return 0, 0, newErr(op, path, ErrNoVideo, nil, "no video stream")
	}
	if err := sameHeaders(ref, vs.CodecParameters()); err != nil {
		return 0, 0, newErr(op, path, ErrHeaderMismatch, nil, "%v (differs from the first chunk)", err)
	}
	itb, otb := vs.TimeBase(), ost.TimeBase()
	var (
		base    = astiav.NoPtsValue
		end     = offset
		count   int64
		guessed bool // a packet came without a duration
	)
	for {
		if err := d.fc.ReadFrame(pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				break
			}
			return 0, 0, d.readErr(ctx, op, err)
		}
		if pkt.StreamIndex() != vs.Index() {
			pkt.Unref()
			continue
		}
		pkt.RescaleTs(itb, otb)
		if pkt.Duration() <= 0 {
			guessed = true
			pkt.SetDuration(astiav.RescaleQ(1, astiav.NewRational(ost.AvgFrameRate().Den(), ost.AvgFrameRate().Num()), otb))
		}
		if pkt.Pts() == astiav.NoPtsValue {
			pkt.SetPts(pkt.Dts())
		}
		if base == astiav.NoPtsValue {
			// the first packet of a closed-GOP chunk is its keyframe, which
			// carries the smallest pts
			base = pkt.Pts()
		}
		pkt.SetPts(pkt.Pts() - base + offset)
		// Matroska stores no dts: the first packets of a chunk with
		// B-frames come without one. Synthesise a monotonic dts.
		var dts int64
		switch {
		case pkt.Dts() != astiav.NoPtsValue:
			dts = pkt.Dts() - base + offset
		case *lastDts != astiav.NoPtsValue:
			dts = *lastDts + 1
		default:
			dts = pkt.Pts()
		}
		if *lastDts != astiav.NoPtsValue && dts <= *lastDts {
			dts = *lastDts + 1
		}
		if dts > pkt.Pts() {
			pkt.Unref()
			return 0, 0, newErr(op, path, ErrInvalidData, nil, "timestamps out of order (pts %d < dts %d)", pkt.Pts(), dts)
		}
		pkt.SetDts(dts)
		*lastDts = dts
		if e := pkt.Pts() + pkt.Duration(); e > end {
			end = e
		}
		pkt.SetStreamIndex(ost.Index())
		pkt.SetPos(-1)
		if audio != nil {
			t := float64(pkt.Dts()) * otb.Float64()
			if err := audio.writeUntil(t); err != nil {
				pkt.Unref()
				return 0, 0, err
			}
		}
		if err := out.write(pkt); err != nil {
			return 0, 0, err
		}
		count++
	}
	if count == 0 {
		return 0, 0, newErr(op, path, ErrEmpty, nil, "chunk has no video packets")
	}
	// MP4 with B-frames gives packets no durations (its ctts): the end of
	// the last frame is the stream's end, which the muxer took from the
	// durations EncodeRange set (a variable rate's last frame is not 1/fps)
	if t0, dur := vs.StartTime(), vs.Duration(); guessed && dur > 0 && t0 != astiav.NoPtsValue {
		end = astiav.RescaleQ(t0+dur, itb, otb) - base + offset
	}
	return count, end, nil
}

// sameHeaders compares what must be equal for a stream copy into one track.
func sameHeaders(a, b *astiav.CodecParameters) error {
	switch {
	case a.CodecID() != b.CodecID():
		return fmt.Errorf("codec %s vs %s", b.CodecID().Name(), a.CodecID().Name())
	case a.Width() != b.Width() || a.Height() != b.Height():
		return fmt.Errorf("size %dx%d vs %dx%d", b.Width(), b.Height(), a.Width(), a.Height())
	case a.PixelFormat() != b.PixelFormat():
		return fmt.Errorf("pixel format %s vs %s", b.PixelFormat().Name(), a.PixelFormat().Name())
	case !bytes.Equal(a.ExtraData(), b.ExtraData()):
		return fmt.Errorf("codec extradata differs (%d vs %d bytes)", len(b.ExtraData()), len(a.ExtraData()))
	}
	return nil
}
