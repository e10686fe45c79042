package encode

// Choosing among a source's audio tracks, and carrying their language, title
// and default flag into an output. go-astiav v0.16.0 cannot set a new
// stream's metadata (its Dictionary is a copy of the pointer) or disposition,
// hence the small cgo setters.

/*
#cgo pkg-config: libavformat libavutil
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <stdlib.h>

static int reel_stream_meta_set(void *st, const char *key, const char *val) {
	return av_dict_set(&((AVStream *)st)->metadata, key, val, 0);
}

static void reel_stream_set_default(void *st, int on) {
	AVStream *s = (AVStream *)st;
	if (on) s->disposition |= AV_DISPOSITION_DEFAULT;
	else s->disposition &= ~AV_DISPOSITION_DEFAULT;
}

static int reel_stream_is_default(void *st) {
	return (((AVStream *)st)->disposition & AV_DISPOSITION_DEFAULT) != 0;
}
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// pickAudio returns the audio streams spec asks for, in source order:
// every one for copy-all, else the one with spec.lang (the first that has
// it) or the spec.track-th.
func pickAudio(op, name string, streams []*astiav.Stream, spec audioSpec) ([]*astiav.Stream, error) {
	var all []*astiav.Stream
	for _, s := range streams {
		if s.CodecParameters().MediaType() == astiav.MediaTypeAudio {
			all = append(all, s)
		}
	}
	if len(all) == 0 {
		return nil, newErr(op, name, ErrInvalidData, nil, "no audio stream to %s", spec.mode)
	}
	switch {
	case spec.track < 0:
		return nil, newErr(op, name, ErrNoAudioTrack, nil, "audio track %d: the index must not be negative", spec.track)
	case spec.lang != "" && spec.track != 0:
		return nil, newErr(op, name, ErrNoAudioTrack, nil, "choose the audio track by index (%d) or by language (%q), not both", spec.track, spec.lang)
	case spec.mode == audioCopyAll && (spec.lang != "" || spec.track != 0):
		return nil, newErr(op, name, ErrNoAudioTrack, nil, "copy-all keeps every audio track: no track or language to choose")
	case spec.mode == audioCopyAll:
		return all, nil
	case spec.lang != "":
		for _, s := range all {
			if strings.EqualFold(streamLanguage(s), spec.lang) {
				return []*astiav.Stream{s}, nil
			}
		}
		return nil, newErr(op, name, ErrNoAudioTrack, nil, "no audio track in language %q (the tracks are %s)", spec.lang, describeAudio(all))
	case spec.track >= len(all):
		return nil, newErr(op, name, ErrNoAudioTrack, nil, "no audio track %d (the tracks are %s)", spec.track, describeAudio(all))
	}
	return []*astiav.Stream{all[spec.track]}, nil
}

// describeAudio lists audio streams as "0 eng, 1 fra, 2 und".
func describeAudio(all []*astiav.Stream) string {
	parts := make([]string, len(all))
	for i, s := range all {
		lang := streamLanguage(s)
		if lang == "" {
			lang = "und"
		}
		parts[i] = fmt.Sprintf("%d %s", i, lang)
	}
	return strings.Join(parts, ", ")
}

// streamLanguage is s's language tag ("" when none or undetermined).
func streamLanguage(s *astiav.Stream) string {
	if v := streamMeta(s, "language"); v != "und" {
		return v
	}
	return ""
}

func streamMeta(s *astiav.Stream, key string) string {
	md := s.Metadata()
	if md == nil {
		return ""
	}
	if e := md.Get(key, nil, astiav.NewDictionaryFlags()); e != nil {
		return e.Value()
	}
	return ""
}

// streamDefault reports whether s is flagged as its type's default track.
func streamDefault(s *astiav.Stream) bool {
	p := cstream(s)
	return p != nil && C.reel_stream_is_default(p) != 0
}

// copyTrackInfo gives ost the language and title of ist, and the default
// flag when first.
func copyTrackInfo(ist, ost *astiav.Stream, first bool) error {
	p := cstream(ost)
	if p == nil {
		return fmt.Errorf("no stream")
	}
	for _, key := range []string{"language", "title"} {
		v := streamMeta(ist, key)
		if v == "" {
			continue
		}
		ck, cv := C.CString(key), C.CString(v)
		rc := C.reel_stream_meta_set(p, ck, cv)
		C.free(unsafe.Pointer(ck))
		C.free(unsafe.Pointer(cv))
		if rc < 0 {
			return fmt.Errorf("setting %s: error %d", key, int(rc))
		}
	}
	on := C.int(0)
	if first {
		on = 1
	}
	C.reel_stream_set_default(p, on)
	return nil
}
