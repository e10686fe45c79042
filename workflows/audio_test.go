package workflows

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/mezzfs"
)

// Assemble carries the job's AudioPolicy into the rendition: copy-all
// keeps the three tracks with their languages, Language picks one, a
// language the source lacks is bad input that names those it has.
func TestAssembleAudioTracks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mkv")
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000",
		"-f", "lavfi", "-i", "sine=frequency=880:sample_rate=48000", "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:a", "-t", "2",
		"-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra", "-metadata:s:a:2", "language=deu",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", src).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	work := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "work")}).String()
	output := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "out")}).String()
	st, err := mezzfs.NewStorage(mezzfs.Config{}).Store(ctx, work)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i, r := range [][2]int64{{0, 25}, {25, 50}} {
		p := filepath.Join(dir, fmt.Sprintf("c%d.mp4", i))
		if _, err := encode.EncodeRange(ctx, encode.FileInput(src), p, encode.Profile{Codec: "x264", Preset: "ultrafast", GOP: 25}, r[0], r[1], nil); err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("job/c%d.mp4", i)
		if _, err := st.Put(ctx, key, p); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
	}
	a := &Activities{TempDir: t.TempDir()}
	for i, c := range []struct {
		audio, lang string
		track       int
		want        string // languages, or "error"
	}{
		{AudioCopyAll, "", 0, "eng fra deu"},
		{AudioCopy, "deu", 0, "deu"},
		{AudioCopy, "", 1, "fra"},
		{AudioCopy, "spa", 0, "error"},
	} {
		r := Rendition{Name: fmt.Sprintf("r%d", i), Codec: "x264"}
		res, err := a.Assemble(ctx, AssembleTask{Job: "job", Source: src, Work: work, Output: output, Rendition: r,
			ChunkKeys: keys, ExpectFrames: 50, Audio: c.audio, AudioTrack: c.track, AudioLanguage: c.lang})
		if c.want == "error" {
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || !app.NonRetryable() || !strings.Contains(err.Error(), "0 eng, 1 fra, 2 deu") {
				t.Errorf("%+v: %v, want a non-retryable error naming the tracks", c, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "out", res.Key)
		b, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream_tags=language", "-of", "csv=p=0", path).Output()
		if err != nil {
			t.Fatalf("ffprobe %s: %v", path, err)
		}
		if got := strings.Join(strings.Fields(string(b)), " "); got != c.want || !res.HasAudio {
			t.Errorf("%+v: audio languages %q (has audio %v), want %q", c, got, res.HasAudio, c.want)
		}
	}
}

// An audio policy that cannot be met as written fails validation.
func TestValidateAudioPolicy(t *testing.T) {
	for _, c := range []struct {
		policy AudioPolicy
		ok     bool
	}{
		{AudioPolicy{Mode: AudioCopyAll}, true},
		{AudioPolicy{Mode: AudioCopy, Track: 2}, true},
		{AudioPolicy{Mode: AudioCopy, Language: "fra"}, true},
		{AudioPolicy{Mode: "aac"}, false},
		{AudioPolicy{Mode: AudioCopy, Track: -1}, false},
		{AudioPolicy{Mode: AudioCopy, Track: 1, Language: "fra"}, false},
		{AudioPolicy{Mode: AudioCopyAll, Language: "fra"}, false},
		{AudioPolicy{Mode: AudioCopyAll, Track: 1}, false},
	} {
		job := testJob()
		job.Audio = c.policy
		if err := Validate(WithDefaults(job)); (err == nil) != c.ok {
			t.Errorf("%+v: %v, want ok %v", c.policy, err, c.ok)
		}
	}
}

// A job asking for an audio track the probe did not find fails as bad
// input before any chunk is encoded.
func TestMissingAudioTrackFailsBeforeEncoding(t *testing.T) {
	for _, c := range []struct {
		policy AudioPolicy
		fails  bool
	}{
		{AudioPolicy{Language: "spa"}, true},
		{AudioPolicy{Track: 2}, true},
		{AudioPolicy{Language: "FRA"}, false},
		{AudioPolicy{Track: 1}, false},
		{AudioPolicy{Mode: AudioCopyAll}, false},
	} {
		f := &fakeJob{info: source(100, 25, 25)}
		f.info.AudioLanguages = []string{"eng", "fra"}
		env := newEnv(t, f)
		job := testJob()
		job.Audio = c.policy
		env.ExecuteWorkflow(EncodeWorkflow, job)
		err := env.GetWorkflowError()
		var app *temporal.ApplicationError
		if c.fails {
			if !errors.As(err, &app) || app.Type() != ErrorBadInput || !strings.Contains(err.Error(), "0 eng, 1 fra") || len(f.encodes) != 0 {
				t.Errorf("%+v: error %v after %d encodes, want bad input naming the tracks before any", c.policy, err, len(f.encodes))
			}
			continue
		}
		if err != nil || len(f.assembles) == 0 {
			t.Errorf("%+v: error %v, %d assembles", c.policy, err, len(f.assembles))
			continue
		}
		if at := f.assembles[0]; at.AudioTrack != c.policy.Track || at.AudioLanguage != c.policy.Language {
			t.Errorf("%+v: assemble task has track %d, language %q", c.policy, at.AudioTrack, at.AudioLanguage)
		}
	}
}

// A copied track that the rendition's MP4 cannot hold (PCM from an AVI or
// MXF) is converted to AAC, as the ffmpeg CLI does; one MP4 takes, or
// Matroska, is copied; copy-all and none are left as they are.
func TestAssembleAudioMode(t *testing.T) {
	src := SourceInfo{AudioCodecs: []string{"aac", "pcm_s16le"}, AudioLanguages: []string{"eng", "fra"}}
	x264, ffv1 := Rendition{Codec: "x264"}, Rendition{Codec: "ffv1"}
	for _, c := range []struct {
		mode string
		p    AudioPolicy
		src  SourceInfo
		r    Rendition
		want string
	}{
		{AudioCopy, AudioPolicy{}, src, x264, AudioCopy},
		{AudioCopy, AudioPolicy{Track: 1}, src, x264, "aac"},
		{AudioCopy, AudioPolicy{Language: "fra"}, src, x264, "aac"},
		{AudioCopy, AudioPolicy{Language: "eng"}, src, x264, AudioCopy},
		{AudioCopy, AudioPolicy{Track: 1}, src, ffv1, AudioCopy},
		{AudioCopyAll, AudioPolicy{}, src, x264, AudioCopyAll},
		{AudioNone, AudioPolicy{}, src, x264, AudioNone},
		{AudioCopy, AudioPolicy{}, SourceInfo{AudioCodecs: []string{"pcm_s24le"}}, x264, "aac"},
		{AudioCopy, AudioPolicy{}, SourceInfo{}, x264, AudioCopy}, // probed before the codecs were listed
	} {
		if got := assembleAudio(c.mode, c.p, c.src, c.r); got != c.want {
			t.Errorf("%s %+v %v into %s: %s, want %s", c.mode, c.p, c.src.AudioCodecs, c.r.Codec, got, c.want)
		}
	}
}
