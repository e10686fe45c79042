package pack

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/Eyevinn/dash-mpd/mpd"
	m3u8 "github.com/Eyevinn/hls-m3u8/m3u8"
)

// audioGroup is the HLS GROUP-ID of the audio renditions.
const audioGroup = "audio"

// writeHLS writes a media playlist per track and the master playlist.
//
// BANDWIDTH and AVERAGE-BANDWIDTH are the rung's Bandwidth and
// AverageBandwidth (setBandwidth).
func writeHLS(res Result, dir string) error {
	for _, tr := range append(append([]Track(nil), res.Video...), res.Audio...) {
		p, err := m3u8.NewMediaPlaylist(0, uint(len(tr.Segments)))
		if err != nil {
			return fmt.Errorf("pack: %w", err)
		}
		p.SetVersion(7)
		p.SetWritePrecision(6) // so that BANDWIDTH can be checked against EXTINF
		p.MediaType = m3u8.VOD
		p.SetIndependentSegments(true)
		p.Map = &m3u8.Map{URI: "init.mp4"}
		var longest float64
		for _, s := range tr.Segments {
			if err := p.Append(filepath.Base(s.File), s.Duration, ""); err != nil {
				return fmt.Errorf("pack: %w", err)
			}
			longest = math.Max(longest, s.Duration)
		}
		p.SetTargetDuration(uint(math.Round(longest)))
		p.Close()
		if _, err := writeFile(filepath.Join(dir, tr.Playlist), func(w io.Writer) error {
			_, err := w.Write(p.Encode().Bytes())
			return err
		}); err != nil {
			return err
		}
	}

	master := m3u8.NewMasterPlaylist()
	master.SetVersion(7)
	master.SetIndependentSegments(true)
	var alts []*m3u8.Alternative
	audioCodec := ""
	for i, a := range res.Audio {
		alt := &m3u8.Alternative{Type: "AUDIO", GroupId: audioGroup, Name: a.ID, Default: i == 0, Autoselect: true,
			URI: a.Playlist, Channels: strconv.Itoa(a.Channels)}
		if a.Language != "" && a.Language != "und" {
			alt.Language = a.Language
			alt.Name = a.Language + " " + a.ID
		}
		alts = append(alts, alt)
		if i == 0 {
			audioCodec = a.Codec
		}
	}
	for _, v := range res.Video {
		params := m3u8.VariantParams{
			Bandwidth:        v.Bandwidth, // setBandwidth
			AverageBandwidth: v.AverageBandwidth,
			Codecs:           v.Codec,
			Resolution:       fmt.Sprintf("%dx%d", v.Width, v.Height),
			FrameRate:        math.Round(v.FrameRate*1000) / 1000,
			Alternatives:     alts,
		}
		if len(res.Audio) > 0 {
			params.Audio = audioGroup
			params.Codecs += "," + audioCodec
		}
		master.Append(v.Playlist, nil, params)
	}
	_, err := writeFile(filepath.Join(dir, res.Master), func(w io.Writer) error {
		_, err := w.Write(master.Encode().Bytes())
		return err
	})
	return err
}

// writeMPD writes a static DASH MPD (live profile, one SegmentTemplate with
// a SegmentTimeline per representation) over the same segment files.
func writeMPD(res Result, dir string) error {
	var duration float64
	for _, v := range res.Video {
		duration = math.Max(duration, v.Duration)
	}
	m := mpd.NewMPD(mpd.STATIC_TYPE)
	m.Profiles = mpd.PROFILE_LIVE
	m.MediaPresentationDuration = mpd.Seconds2DurPtrFloat64(duration)
	var longest float64
	for _, tr := range append(append([]Track(nil), res.Video...), res.Audio...) {
		for _, s := range tr.Segments {
			longest = math.Max(longest, s.Duration)
		}
	}
	m.MinBufferTime = mpd.Seconds2DurPtrFloat64(math.Ceil(longest))
	m.MaxSegmentDuration = mpd.Seconds2DurPtrFloat64(longest)
	period := mpd.NewPeriod()
	period.Id = "p0"
	period.Start = mpd.Seconds2DurPtr(0)
	m.AppendPeriod(period)

	vas := mpd.NewAdaptationSetWithParams("video", "video/mp4", true, 1)
	vas.Id = mpd.Ptr(uint32(0))
	for _, v := range res.Video {
		r := mpd.NewRepresentation()
		r.Id = v.ID
		r.Bandwidth = uint32(math.Ceil(v.PeakBitrate))
		r.Codecs = v.Codec
		r.Width, r.Height = uint32(v.Width), uint32(v.Height)
		r.FrameRate = frameRate(v)
		r.SegmentTemplate = template(v, 0)
		vas.AppendRepresentation(r)
	}
	period.AppendAdaptationSet(vas)
	for i, a := range res.Audio {
		as := mpd.NewAdaptationSetWithParams("audio", "audio/mp4", true, 1)
		as.Id = mpd.Ptr(uint32(i + 1))
		if a.Language != "" && a.Language != "und" {
			as.Lang = a.Language
		}
		r := mpd.NewRepresentation()
		r.Id = a.ID
		r.Bandwidth = uint32(math.Ceil(a.PeakBitrate))
		r.Codecs = a.Codec
		r.AudioSamplingRate = mpd.Ptr(mpd.UIntVectorType(strconv.Itoa(int(a.Timescale))))
		r.AudioChannelConfigurations = []*mpd.DescriptorType{
			mpd.NewDescriptor("urn:mpeg:dash:23003:3:audio_channel_configuration:2011", strconv.Itoa(a.Channels), ""),
		}
		r.SegmentTemplate = template(a, a.presentationOffset())
		as.AppendRepresentation(r)
		period.AppendAdaptationSet(as)
	}
	_, err := writeFile(filepath.Join(dir, res.MPD), func(w io.Writer) error {
		_, err := m.Write(w, "  ", true)
		return err
	})
	return err
}

// frameRate writes the mean frame rate as DASH wants it: an integer, or N/D.
func frameRate(v Track) mpd.FrameRateType {
	if r := math.Round(v.FrameRate); math.Abs(r-v.FrameRate) < 1e-3 {
		return mpd.FrameRateType(strconv.Itoa(int(r)))
	}
	if r := math.Round(v.FrameRate * 1.001); math.Abs(r-v.FrameRate*1.001) < 1e-3 {
		return mpd.FrameRateType(fmt.Sprintf("%d/1001", int(r)*1000))
	}
	return mpd.FrameRateType(strings.TrimRight(strconv.FormatFloat(v.FrameRate, 'f', 3, 64), "0"))
}

// template is the SegmentTemplate of a track: its files by number and a
// timeline of its segments' decode times and durations, run-length coded.
func template(tr Track, pto uint64) *mpd.SegmentTemplateType {
	st := &mpd.SegmentTemplateType{
		Initialization: "$RepresentationID$/init.mp4",
		Media:          "$RepresentationID$/seg-$Number%05d$.m4s",
	}
	st.StartNumber = mpd.Ptr(uint32(1))
	st.SetTimescale(tr.Timescale)
	if pto > 0 {
		st.PresentationTimeOffset = mpd.Ptr(pto)
	}
	tl := &mpd.SegmentTimelineType{}
	for i, s := range tr.Segments {
		last := len(tl.S) - 1
		if last >= 0 && tl.S[last].D == s.durTicks {
			tl.S[last].R++
			continue
		}
		e := &mpd.S{D: s.durTicks}
		if i == 0 {
			e.T = mpd.Ptr(s.startTicks)
		}
		tl.S = append(tl.S, e)
	}
	st.SegmentTimeline = tl
	return st
}
