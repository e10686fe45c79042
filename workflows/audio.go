package workflows

import (
	"fmt"
	"strings"
)

// checkAudio refuses, right after the probe, an audio track the source does
// not have, so that a job is not encoded only to fail at assembly. Sources
// probed before SourceInfo listed its audio languages are left to Assemble.
func checkAudio(p AudioPolicy, src SourceInfo) error {
	langs := src.AudioLanguages
	if p.Mode != AudioCopy || len(langs) == 0 {
		return nil
	}
	var have []string
	for i, l := range langs {
		if l == "" {
			l = "und"
		}
		have = append(have, fmt.Sprintf("%d %s", i, l))
	}
	if p.Language != "" {
		for _, l := range langs {
			if strings.EqualFold(l, p.Language) {
				return nil
			}
		}
		return fmt.Errorf("no audio track in language %q (the tracks are %s)", p.Language, strings.Join(have, ", "))
	}
	if p.Track >= len(langs) {
		return fmt.Errorf("no audio track %d (the tracks are %s)", p.Track, strings.Join(have, ", "))
	}
	return nil
}

// audioAAC is the assembly's audio mode that converts the chosen track to
// AAC (encode.ConcatOptions.AudioMode).
const audioAAC = "aac"

// mp4Audio are the audio codecs (FFmpeg's names) that FFmpeg's MP4 muxer
// takes by stream copy.
var mp4Audio = map[string]bool{"aac": true, "mp3": true, "mp2": true, "ac3": true, "eac3": true, "opus": true, "flac": true, "alac": true}

// assembleAudio is the audio mode of rendition r's assembly: the job's
// mode, except that copying one track that r's MP4 cannot hold (PCM, as
// old AVIs and MXF masters carry) converts it to AAC, as the ffmpeg CLI
// does by default, instead of failing after every chunk was encoded.
// copy-all is left as it is: it keeps every track or fails. Sources
// probed before SourceInfo listed the codecs are copied.
func assembleAudio(mode string, p AudioPolicy, src SourceInfo, r Rendition) string {
	if mode != AudioCopy || containerFor(r.Codec) != "mp4" {
		return mode
	}
	track := p.Track
	if p.Language != "" {
		for i, l := range src.AudioLanguages {
			if strings.EqualFold(l, p.Language) {
				track = i
				break
			}
		}
	}
	if track < len(src.AudioCodecs) && !mp4Audio[src.AudioCodecs[track]] {
		return audioAAC
	}
	return mode
}
