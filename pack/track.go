package pack

import (
	"bytes"
	"fmt"
	"io"

	"github.com/Eyevinn/mp4ff/aac"
	"github.com/Eyevinn/mp4ff/hevc"
	"github.com/Eyevinn/mp4ff/mp4"
)

// Input is one progressive MP4: a ladder rung (its first video track is
// used) or an audio file (its first audio track, or the one Track names).
type Input struct {
	// Name is how errors and the result refer to it (a path, a URL).
	Name string
	R    io.ReaderAt
	Size int64
	// Track is the index among the file's tracks of the kind taken (0 =
	// the first): an audio file with several languages is given once per
	// track.
	Track int
}

// sample is one access unit of a track, times in the track's timescale.
type sample struct {
	dts    uint64
	dur    uint32
	cto    int32 // presentation − decode time, after the edit list shift
	size   uint32
	offset int64
	sync   bool
}

// track is the part of an input that gets packaged.
type track struct {
	in        Input
	kind      string // "video" or "audio"
	trak      *mp4.TrakBox
	movieTS   uint32
	timescale uint32
	samples   []sample
	codec     string // RFC 6381 codecs parameter
	entry     mp4.Box
	lang      string
	// video
	width, height int
	// audio
	channels, sampleRate int
	// edts is kept for audio (AAC priming); video moves its edit into the
	// composition offsets instead.
	edts      *mp4.EdtsBox
	mediaTime int64
}

// openTrack finds the first track of kind in in and reads its sample table.
// A panic inside mp4ff (a parser fed a damaged file) is turned into
// ErrInvalidInput here, at the boundary.
func openTrack(in Input, kind string) (t *track, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%w: %s: damaged %s track: %v", ErrInvalidInput, in.Name, kind, r)
		}
	}()
	moov, err := decodeMoov(in)
	if err != nil {
		return nil, err
	}
	handler := map[string]string{"video": "vide", "audio": "soun"}[kind]
	var trak *mp4.TrakBox
	n := 0
	for _, t := range moov.Traks {
		if t.Mdia != nil && t.Mdia.Hdlr != nil && t.Mdia.Hdlr.HandlerType == handler {
			if n == in.Track {
				trak = t
				break
			}
			n++
		}
	}
	if trak == nil {
		if in.Track > 0 {
			return nil, fmt.Errorf("%w: %s has no %s track %d", errNoTrack, in.Name, kind, in.Track)
		}
		return nil, fmt.Errorf("%w: %s has no %s track", errNoTrack, in.Name, kind)
	}
	if trak.Tkhd == nil || trak.Mdia.Mdhd == nil || trak.Mdia.Minf == nil || trak.Mdia.Minf.Stbl == nil || trak.Mdia.Minf.Stbl.Stsd == nil {
		return nil, fmt.Errorf("%w: %s: incomplete %s track", ErrInvalidInput, in.Name, kind)
	}
	t = &track{in: in, kind: kind, trak: trak, movieTS: moov.Mvhd.Timescale, timescale: trak.Mdia.Mdhd.Timescale, lang: trak.Mdia.Mdhd.GetLanguage()}
	if t.timescale == 0 {
		return nil, fmt.Errorf("%w: %s: %s track has timescale 0", ErrInvalidInput, in.Name, kind)
	}
	if trak.Edts != nil {
		for _, elst := range trak.Edts.Elst {
			for _, e := range elst.Entries {
				if e.MediaTime >= 0 { // skip empty edits
					t.mediaTime = e.MediaTime
					break
				}
			}
		}
	}
	if err := t.readSamples(); err != nil {
		return nil, err
	}
	stsd := trak.Mdia.Minf.Stbl.Stsd
	switch {
	case kind == "video" && stsd.AvcX != nil && stsd.AvcX.AvcC != nil:
		c := stsd.AvcX.AvcC
		t.codec = fmt.Sprintf("%s.%02X%02X%02X", stsd.AvcX.Type(), c.AVCProfileIndication, c.ProfileCompatibility, c.AVCLevelIndication)
		t.entry, t.width, t.height = stsd.AvcX, int(stsd.AvcX.Width), int(stsd.AvcX.Height)
		// Move the edit (B-frame delay) into the composition offsets, as
		// CMAF prefers: the first frame is shown at 0 without an edit list.
		for i := range t.samples {
			t.samples[i].cto -= int32(t.mediaTime)
		}
	case kind == "video" && stsd.HvcX != nil && stsd.HvcX.HvcC != nil:
		nalus := stsd.HvcX.HvcC.GetNalusForType(hevc.NALU_SPS)
		if len(nalus) == 0 {
			return nil, fmt.Errorf("%w: %s: HEVC sample entry without an SPS", ErrUnsupported, in.Name)
		}
		sps, err := hevc.ParseSPSNALUnit(nalus[0])
		if err != nil {
			return nil, fmt.Errorf("%w: %s: HEVC SPS: %v", ErrUnsupported, in.Name, err)
		}
		t.codec = hevc.CodecString(stsd.HvcX.Type(), sps)
		t.entry, t.width, t.height = stsd.HvcX, int(stsd.HvcX.Width), int(stsd.HvcX.Height)
		for i := range t.samples {
			t.samples[i].cto -= int32(t.mediaTime)
		}
	case kind == "audio" && stsd.Mp4a != nil && stsd.Mp4a.Esds != nil && stsd.Mp4a.Esds.DecConfigDescriptor != nil &&
		stsd.Mp4a.Esds.DecConfigDescriptor.DecSpecificInfo != nil:
		asc, err := aac.DecodeAudioSpecificConfig(bytes.NewReader(stsd.Mp4a.Esds.DecConfigDescriptor.DecSpecificInfo.DecConfig))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: AAC config: %v", ErrUnsupported, in.Name, err)
		}
		t.codec = fmt.Sprintf("mp4a.40.%d", asc.ObjectType)
		t.entry, t.channels, t.sampleRate = stsd.Mp4a, int(stsd.Mp4a.ChannelCount), int(t.timescale)
		if asc.ChannelConfiguration > 0 && asc.ChannelConfiguration < 7 {
			// the sample entry's count is often a fixed 2; the AAC config knows
			t.channels = int(asc.ChannelConfiguration)
		}
		t.edts = trak.Edts
	default:
		return nil, fmt.Errorf("%w: %s: the %s track is not AVC, HEVC or AAC", ErrUnsupported, in.Name, kind)
	}
	return t, nil
}

// readSamples fills t.samples from the progressive sample table.
func (t *track) readSamples() error {
	stbl := t.trak.Mdia.Minf.Stbl
	if stbl == nil || stbl.Stsz == nil || stbl.Stts == nil || stbl.Stsc == nil || (stbl.Stco == nil && stbl.Co64 == nil) {
		return fmt.Errorf("%w: %s: %s track has an incomplete sample table", ErrInvalidInput, t.in.Name, t.kind)
	}
	n := int(stbl.Stsz.GetNrSamples())
	if n == 0 {
		return fmt.Errorf("%w: %s: %s track has no samples", ErrInvalidInput, t.in.Name, t.kind)
	}
	if int64(n) > t.in.Size {
		// every sample needs a byte: refuse a table that would make us
		// allocate for billions of samples
		return fmt.Errorf("%w: %s: %s track claims %d samples in %d bytes", ErrInvalidInput, t.in.Name, t.kind, n, t.in.Size)
	}
	t.samples = make([]sample, 0, n)
	var dts uint64
	k, left := 0, uint32(0)
	if len(stbl.Stts.SampleCount) > 0 {
		left = stbl.Stts.SampleCount[0]
	}
	prevChunk := -1
	var offset int64
	for nr := 1; nr <= n; nr++ {
		for left == 0 && k+1 < len(stbl.Stts.SampleCount) {
			k++
			left = stbl.Stts.SampleCount[k]
		}
		if left == 0 {
			return fmt.Errorf("%w: %s: %s track's stts covers fewer than %d samples", ErrInvalidInput, t.in.Name, t.kind, n)
		}
		left--
		dur := stbl.Stts.SampleTimeDelta[k]
		chunk, _, err := stbl.Stsc.ChunkNrFromSampleNr(nr)
		if err != nil {
			return fmt.Errorf("%w: %s: sample %d: %v", ErrInvalidInput, t.in.Name, nr, err)
		}
		size := stbl.Stsz.GetSampleSize(nr)
		if chunk != prevChunk {
			switch {
			case stbl.Stco != nil && chunk-1 < len(stbl.Stco.ChunkOffset):
				offset = int64(stbl.Stco.ChunkOffset[chunk-1])
			case stbl.Co64 != nil && chunk-1 < len(stbl.Co64.ChunkOffset):
				offset = int64(stbl.Co64.ChunkOffset[chunk-1])
			default:
				return fmt.Errorf("%w: %s: sample %d is in chunk %d, which has no offset", ErrInvalidInput, t.in.Name, nr, chunk)
			}
			prevChunk = chunk
		}
		if offset < 0 || offset+int64(size) > t.in.Size {
			return fmt.Errorf("%w: %s: sample %d lies outside the file", ErrInvalidInput, t.in.Name, nr)
		}
		var cto int32
		if stbl.Ctts != nil {
			cto = stbl.Ctts.GetCompositionTimeOffset(uint32(nr))
		}
		sync := stbl.Stss == nil || stbl.Stss.IsSyncSample(uint32(nr))
		t.samples = append(t.samples, sample{dts: dts, dur: dur, cto: cto, size: size, offset: offset, sync: sync})
		dts += uint64(dur)
		offset += int64(size)
	}
	return nil
}

// pts is sample i's presentation time in seconds.
func (t *track) pts(i int) float64 {
	s := t.samples[i]
	return float64(int64(s.dts)+int64(s.cto)) / float64(t.timescale)
}

// duration is the track's length in seconds (sum of sample durations).
func (t *track) duration() float64 {
	last := t.samples[len(t.samples)-1]
	return float64(last.dts+uint64(last.dur)) / float64(t.timescale)
}

// frameRate is the mean frame rate of a video track.
func (t *track) frameRate() float64 {
	return float64(len(t.samples)) / t.duration()
}
