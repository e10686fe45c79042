package workflows

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reelmedia/reel/mezzfs"
)

var packagePlanCases = []struct {
	name    string
	frames  int64
	fps     float64
	segment float64
	target  float64
	want    [][2]int64
}{
	{"one segment per chunk", 250, 25, 2, 2, [][2]int64{{0, 50}, {50, 100}, {100, 150}, {150, 200}, {200, 250}}},
	{"two segments per chunk", 250, 25, 2, 4, [][2]int64{{0, 100}, {100, 200}, {200, 250}}},
	{"target rounds to whole segments", 300, 25, 4, 5, [][2]int64{{0, 100}, {100, 200}, {200, 300}}},
	{"target under a segment", 200, 25, 4, 1, [][2]int64{{0, 100}, {100, 200}}},
	{"tail under a segment joins", 230, 25, 2, 2, [][2]int64{{0, 50}, {50, 100}, {100, 150}, {150, 230}}},
	{"shorter than a segment", 30, 25, 2, 4, [][2]int64{{0, 30}}},
	{"24 fps, 3 s segments", 240, 24, 3, 4, [][2]int64{{0, 72}, {72, 144}, {144, 240}}},
	{"ntsc", 600, 30000.0 / 1001, 4, 4, [][2]int64{{0, 120}, {120, 240}, {240, 360}, {360, 480}, {480, 600}}},
}

// Packaged chunks start on segment boundaries only: every start is a
// multiple of the segment's frames, whatever the source's keyframes.
func TestPlanPackageChunks(t *testing.T) {
	for _, tc := range packagePlanCases {
		t.Run(tc.name, func(t *testing.T) {
			src := SourceInfo{Frames: tc.frames, FrameRate: tc.fps, Keyframes: keyframesEvery(7, tc.frames)}
			pp := PackagePolicy{Formats: []string{"hls"}, SegmentSeconds: tc.segment}
			got, err := planPackageChunks(src, ChunkPolicy{TargetSeconds: tc.target}, pp)
			if err != nil {
				t.Fatal(err)
			}
			var ranges [][2]int64
			for i, c := range got {
				if c.Index != i {
					t.Errorf("chunk %d has index %d", i, c.Index)
				}
				if c.Start%segmentFrames(pp, src) != 0 {
					t.Errorf("chunk %d starts at %d, not a segment boundary", i, c.Start)
				}
				ranges = append(ranges, [2]int64{c.Start, c.End})
			}
			if !slices.Equal(ranges, tc.want) {
				t.Errorf("got %v, want %v", ranges, tc.want)
			}
		})
	}
}

// Every rung's GOP divides the segment, so the keyframes that each chunk's
// GOPs put down fall on every boundary; with shot chunks all rungs share
// one GOP.
func TestPackageRenditions(t *testing.T) {
	src := SourceInfo{Frames: 500, FrameRate: 25}
	job := Job{
		Renditions: []Rendition{{Name: "a"}, {Name: "b", GOP: 25}, {Name: "c", GOP: 30}, {Name: "d", GOP: 100}},
		Chunking:   ChunkPolicy{Mode: ChunkFixed},
		Package:    PackagePolicy{Formats: []string{"dash"}, SegmentSeconds: 4},
	}
	gops := func(rs []Rendition) []int {
		var g []int
		for _, r := range rs {
			g = append(g, r.GOP)
		}
		return g
	}
	if got := gops(packageRenditions(job, src)); !slices.Equal(got, []int{100, 25, 100, 100}) {
		t.Errorf("fixed chunks: GOPs %v, want [100 25 100 100]", got)
	}
	job.Chunking.Mode = ChunkShots
	if got := gops(packageRenditions(job, src)); !slices.Equal(got, []int{100, 100, 100, 100}) {
		t.Errorf("shot chunks: GOPs %v, want all 100", got)
	}
	if job.Renditions[1].GOP != 25 {
		t.Error("packageRenditions changed the job's own renditions")
	}
	job.Package = PackagePolicy{}
	if got := gops(packageRenditions(job, src)); !slices.Equal(got, []int{0, 25, 30, 100}) {
		t.Errorf("no package: GOPs %v, want them unchanged", got)
	}
}

func TestValidatePackage(t *testing.T) {
	base := func() Job {
		return Job{Source: "/s.mp4", Output: "/o", Renditions: []Rendition{{Name: "hd", Codec: "x264"}, {Name: "sd", Codec: "libx265"}},
			Package: PackagePolicy{Formats: []string{"hls", "dash"}, SegmentSeconds: 4}}
	}
	if err := Validate(WithDefaults(base())); err != nil {
		t.Fatalf("a good job: %v", err)
	}
	cases := []struct {
		name string
		edit func(*Job)
		want string
	}{
		{"format", func(j *Job) { j.Package.Formats = []string{"smooth"} }, `package format "smooth"`},
		{"codec", func(j *Job) { j.Renditions[1].Codec = "vp9" }, "rendition sd: package needs x264 or x265"},
		{"fps", func(j *Job) { j.Renditions[0].FPS = "25" }, "rendition hd: package with a frame-rate conversion"},
		{"segment", func(j *Job) { j.Package.SegmentSeconds = -1 }, "package segment -1 s"},
		{"segment alone", func(j *Job) { j.Package.Formats = nil }, "a segment duration without a format"},
	}
	for _, tc := range cases {
		j := base()
		tc.edit(&j)
		if err := Validate(WithDefaults(j)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	src := SourceInfo{AudioCodecs: []string{"aac", "ac3"}, AudioLanguages: []string{"eng", "fra"}}
	j := base()
	j.Audio.Mode = AudioCopyAll
	if err := checkPackage(j, src); err == nil || !strings.Contains(err.Error(), "audio track 1 is ac3") {
		t.Errorf("copy-all with ac3: %v", err)
	}
	j.Audio = AudioPolicy{Mode: AudioCopy, Language: "fra"}
	if got := packageAudio(j, src, AudioCopy); got != audioAAC {
		t.Errorf("copying an ac3 track into a package: audio mode %q, want %q", got, audioAAC)
	}
	j.Audio.Language = ""
	if got := packageAudio(j, src, AudioCopy); got != AudioCopy {
		t.Errorf("copying an aac track into a package: audio mode %q, want %q", got, AudioCopy)
	}
}

// orderStore records the order of Puts and can fail one key.
type orderStore struct {
	mezzfs.Store
	fail string
	mu   sync.Mutex
	puts []string
}

var errInjected = errors.New("injected upload failure")

func (s *orderStore) Put(ctx context.Context, key, localPath string) (mezzfs.StoredObject, error) {
	if key == s.fail {
		return mezzfs.StoredObject{}, errInjected
	}
	o, err := s.Store.Put(ctx, key, localPath)
	s.mu.Lock()
	s.puts = append(s.puts, key)
	s.mu.Unlock()
	return o, err
}

// fakePackage writes the files of a two-rung, one-audio package of segs
// segments into dir: what pack.Package writes, with dummy content.
func fakePackage(t *testing.T, dir string, segs int, content string) {
	t.Helper()
	files := []string{"master.m3u8", "manifest.mpd"}
	for _, tr := range []string{"v0", "v1", "a0"} {
		files = append(files, tr+"/init.mp4", tr+"/media.m3u8")
		for i := 1; i <= segs; i++ {
			files = append(files, tr+"/seg-0000"+string(rune('0'+i))+".m4s")
		}
	}
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// PublishPackage uploads segments before any playlist and the master
// playlist and MPD last; it removes an older package's manifests before
// replacing its segments and its leftover segments after; a failed upload
// leaves no manifest that a player would start from.
func TestPublishPackageOrder(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	fs, err := mezzfs.NewFileStore(root)
	if err != nil {
		t.Fatal(err)
	}
	old := t.TempDir()
	fakePackage(t, old, 5, "old ")
	if err := PublishPackage(ctx, fs, "package", old); err != nil {
		t.Fatal(err)
	}

	pkg := t.TempDir()
	fakePackage(t, pkg, 3, "new ")
	st := &orderStore{Store: fs}
	if err := PublishPackage(ctx, st, "package", pkg); err != nil {
		t.Fatal(err)
	}
	rank := func(key string) int {
		switch {
		case strings.HasSuffix(key, "/master.m3u8"), strings.HasSuffix(key, "/manifest.mpd"):
			return 2
		case strings.HasSuffix(key, ".m3u8"):
			return 1
		}
		return 0
	}
	for i := 1; i < len(st.puts); i++ {
		if rank(st.puts[i]) < rank(st.puts[i-1]) {
			t.Errorf("%s uploaded after %s", st.puts[i], st.puts[i-1])
		}
	}
	if len(st.puts) != 2+3*5 {
		t.Errorf("%d uploads, want 17: %v", len(st.puts), st.puts)
	}
	objs, err := fs.List(ctx, "package/")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		b, err := fs.GetBytes(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "new ") {
			t.Errorf("%s is left from the old package", o.Key)
		}
	}
	if len(objs) != 17 {
		t.Errorf("%d objects under package/, want 17", len(objs))
	}

	// A failure on the last rung's playlist: no master, no MPD.
	again := t.TempDir()
	fakePackage(t, again, 3, "newer ")
	st = &orderStore{Store: fs, fail: "package/v1/media.m3u8"}
	if err := PublishPackage(ctx, st, "package", again); !errors.Is(err, errInjected) {
		t.Fatalf("publish with a failing upload: %v", err)
	}
	for _, k := range []string{"package/master.m3u8", "package/manifest.mpd", "package/v1/media.m3u8"} {
		if _, err := fs.Stat(ctx, k); !errors.Is(err, mezzfs.ErrNotFound) {
			t.Errorf("%s visible after a failed publish: %v", k, err)
		}
	}
}
