package workflows

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
	"golang.org/x/sync/errgroup"

	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/pack"
)

// ActivityPackage is the Package activity's name.
const ActivityPackage = "Package"

// DefaultSegmentSeconds is PackagePolicy.SegmentSeconds when zero.
const DefaultSegmentSeconds = 4.0

// packageDir is the key prefix of the package in the output store.
const packageDir = "package"

// PackagePolicy asks for a streaming package of the finished renditions:
// CMAF segments per rung and audio track, an HLS master playlist and a DASH
// MPD, under <Output>/package/ (the pack core writes them).
type PackagePolicy struct {
	// Formats are "hls", "dash" or both; empty: no package.
	Formats []string `json:"formats,omitempty"`
	// SegmentSeconds is the segment duration. Default: 4. Every rendition
	// gets a keyframe on each multiple of it (see packageRenditions).
	SegmentSeconds float64 `json:"segment_seconds,omitempty"`
}

// Enabled says whether a package was asked for.
func (p PackagePolicy) Enabled() bool { return len(p.Formats) > 0 }

func (p PackagePolicy) segment() float64 {
	if p.SegmentSeconds > 0 {
		return p.SegmentSeconds
	}
	return DefaultSegmentSeconds
}

// packageCodecs are the codec names (as Rendition.Codec takes them) whose
// output pack can describe in a manifest: AVC and HEVC.
var packageCodecs = map[string]bool{"x264": true, "libx264": true, "h264": true, "x265": true, "libx265": true, "hevc": true}

// validatePackage refuses, before any work, a package the job cannot make.
func validatePackage(job Job) error {
	p := job.Package
	if !p.Enabled() {
		if p.SegmentSeconds != 0 {
			return errors.New("package: a segment duration without a format (want hls, dash or both)")
		}
		return nil
	}
	for _, f := range p.Formats {
		if f != pack.FormatHLS && f != pack.FormatDASH {
			return fmt.Errorf("package format %q: want %q or %q", f, pack.FormatHLS, pack.FormatDASH)
		}
	}
	if s := p.SegmentSeconds; s < 0 || s > 60 || math.IsNaN(s) {
		return fmt.Errorf("package segment %v s: want more than 0 and at most 60", s)
	}
	for _, r := range job.Renditions {
		if c := r.Codec; !packageCodecs[strings.ToLower(c)] {
			return fmt.Errorf("rendition %s: package needs x264 or x265 (AVC or HEVC in CMAF), not %s", r.Name, c)
		}
		if r.FPS != "" {
			// A converted rate cuts chunks in source frames and keyframes in
			// output frames: the segment boundaries would not be exact.
			return fmt.Errorf("rendition %s: package with a frame-rate conversion (fps %s) is not supported; package at the source's rate", r.Name, r.FPS)
		}
	}
	return nil
}

// checkPackage refuses, right after the probe, a source whose audio the
// package cannot carry: copy-all keeps every track as it is, and CMAF
// audio here is AAC. (copy converts its one track, packageAudio.)
func checkPackage(job Job, src SourceInfo) error {
	if !job.Package.Enabled() || job.Audio.Mode != AudioCopyAll {
		return nil
	}
	for i, c := range src.AudioCodecs {
		if c != "aac" {
			return fmt.Errorf("audio track %d is %s: a package carries AAC, and copy-all keeps every track as it is (use --audio copy to convert one track)", i, c)
		}
	}
	return nil
}

// packageAudio is the assembly's audio mode when packaging: a copied track
// that is not AAC is converted to AAC, since CMAF audio here is AAC.
func packageAudio(job Job, src SourceInfo, mode string) string {
	if !job.Package.Enabled() || mode != AudioCopy {
		return mode
	}
	track := job.Audio.Track
	if job.Audio.Language != "" {
		for i, l := range src.AudioLanguages {
			if strings.EqualFold(l, job.Audio.Language) {
				track = i
				break
			}
		}
	}
	if track < len(src.AudioCodecs) && src.AudioCodecs[track] != "aac" {
		return audioAAC
	}
	return mode
}

// segmentFrames is the segment duration in source frames.
func segmentFrames(p PackagePolicy, src SourceInfo) int64 {
	return max(1, int64(math.Round(p.segment()*src.FrameRate)))
}

// packageRenditions makes every rendition put a keyframe on each segment
// boundary. Encodes have fixed GOPs (scene cuts off) starting at each chunk,
// and packaged chunks start on segment boundaries (planPackageChunks), so a
// GOP that divides the segment length does it: a rendition's own GOP is
// kept when it divides it, else the GOP becomes one segment. With shot
// chunks (which start at shots, not boundaries) every rung gets the same
// one-segment GOP, so that the rungs' keyframes still agree.
func packageRenditions(job Job, src SourceInfo) []Rendition {
	out := slices.Clone(job.Renditions)
	if !job.Package.Enabled() {
		return out
	}
	n := int(segmentFrames(job.Package, src))
	for i := range out {
		if out[i].GOP <= 0 || n%out[i].GOP != 0 || job.Chunking.Mode == ChunkShots {
			out[i].GOP = n
		}
	}
	return out
}

// planPackageChunks cuts chunks on segment boundaries: every chunk is a
// whole number of segments (about the chunking target), the last one also
// takes the tail. Source keyframes are not looked at: a chunk that starts
// between them decodes from the one before, as unaligned chunks do.
func planPackageChunks(src SourceInfo, policy ChunkPolicy, pp PackagePolicy) ([]Chunk, error) {
	if src.Frames <= 0 {
		return nil, errors.New("source has no video frames to encode")
	}
	if src.FrameRate <= 0 || math.IsNaN(src.FrameRate) || math.IsInf(src.FrameRate, 0) {
		return nil, fmt.Errorf("source frame rate %v is not usable for planning", src.FrameRate)
	}
	seg := segmentFrames(pp, src)
	target := policy.TargetSeconds
	if target <= 0 {
		target = DefaultTargetSeconds
	}
	step := seg * max(1, int64(math.Round(target/pp.segment())))
	var chunks []Chunk
	for start := int64(0); start < src.Frames; start += step {
		end := min(start+step, src.Frames)
		if src.Frames-end < seg { // a tail under one segment joins this chunk
			end = src.Frames
		}
		chunks = append(chunks, Chunk{Index: len(chunks), Start: start, End: end})
		if end == src.Frames {
			break
		}
	}
	return chunks, nil
}

// packageJob runs the Package activity on the assembled renditions when the
// job asks for a package; nil otherwise.
func packageJob(ctx workflow.Context, st *jobState, jobID string, job Job, assembled []AssembleResult) (*PackageResult, error) {
	if !job.Package.Enabled() {
		return nil, nil
	}
	st.progress.Phase = PhasePackaging
	t := PackageTask{Job: jobID, Output: job.Output, Package: job.Package}
	for i, r := range job.Renditions {
		t.Renditions = append(t.Renditions, r.Name)
		t.Keys = append(t.Keys, assembled[i].Key)
	}
	var pr PackageResult
	if err := workflow.ExecuteActivity(longActivity(ctx, job.Timeouts), ActivityPackage, t).Get(ctx, &pr); err != nil {
		return nil, err
	}
	return &pr, nil
}

// PackageTask is the input of the Package activity.
type PackageTask struct {
	Job    string `json:"job"`
	Output string `json:"output"`
	// Renditions are the names and output-store keys of the assembled
	// renditions, in ladder order; the first decides the segment boundaries.
	Renditions []string      `json:"renditions"`
	Keys       []string      `json:"keys"`
	Package    PackagePolicy `json:"package"`
}

// PackageResult describes the package a job wrote; it is part of the
// job's Result and report.json.
type PackageResult struct {
	// URL is the package's root (<output>/package); HLS and DASH the
	// master playlist's and the MPD's URLs, empty when not asked for.
	URL            string          `json:"url"`
	HLS            string          `json:"hls_master,omitempty"`
	DASH           string          `json:"dash_mpd,omitempty"`
	SegmentSeconds float64         `json:"segment_seconds"`
	Files          int             `json:"files"`
	Bytes          int64           `json:"bytes"`
	Video          []PackagedTrack `json:"video"`
	Audio          []PackagedTrack `json:"audio,omitempty"`
	Seconds        float64         `json:"package_seconds"`
}

// PackagedTrack is one rung or audio track of a package. Its files are
// Init, Playlist (HLS) and Segments media segments named by SegmentFiles
// with the numbers 1 to Segments, all relative to the package's URL.
type PackagedTrack struct {
	Rendition    string `json:"rendition,omitempty"`
	ID           string `json:"id"`
	Codec        string `json:"codec"`
	Width        int    `json:"width,omitempty"`
	Height       int    `json:"height,omitempty"`
	Language     string `json:"language,omitempty"`
	Init         string `json:"init"`
	Playlist     string `json:"playlist,omitempty"`
	SegmentFiles string `json:"segment_files"`
	Segments     int    `json:"segments"`
	Bytes        int64  `json:"bytes"`
	// LongestSegment and ShortestSegment in seconds (the last one
	// excepted from the shortest, as it holds what is left).
	LongestSegment  float64 `json:"longest_segment_seconds"`
	ShortestSegment float64 `json:"shortest_segment_seconds"`
	PeakBitrate     float64 `json:"peak_bitrate_bps"`
	AverageBitrate  float64 `json:"average_bitrate_bps"`
	// Bandwidth and AverageBandwidth are the HLS variant's BANDWIDTH and
	// AVERAGE-BANDWIDTH (the rung's peak and mean plus the audio's).
	Bandwidth        uint32 `json:"bandwidth_bps,omitempty"`
	AverageBandwidth uint32 `json:"average_bandwidth_bps,omitempty"`
}

// Package packages the assembled renditions into <output>/package/. A
// local output gets the directory written beside itself and renamed into
// place (pack.Package); any other store gets it through PublishPackage.
// Misaligned rungs (ErrMisaligned) and unsupported codecs fail as bad input
// before any manifest is written.
func (a *Activities) Package(ctx context.Context, t PackageTask) (PackageResult, error) {
	t0 := time.Now()
	out, err := a.openStore(ctx, t.Output)
	if err != nil {
		return PackageResult{}, err
	}
	scratch, err := os.MkdirTemp(a.tempDir(), "reel-package-")
	if err != nil {
		return PackageResult{}, fmt.Errorf("scratch dir: %w", err)
	}
	defer os.RemoveAll(scratch)

	fs, local := out.(*mezzfs.FileStore)
	var inputs []pack.Input
	for i, key := range t.Keys {
		p := filepath.Join(scratch, fmt.Sprintf("in-%03d.mp4", i))
		if local {
			if p, err = fs.Path(key); err != nil {
				return PackageResult{}, err
			}
		} else {
			// A rendition of a long title is gigabytes: keep heartbeating.
			err := whileHeartbeating(ctx, heartbeat{Phase: "download", Frames: int64(i)}, func() error {
				_, err := out.Get(ctx, key, p)
				return err
			})
			if err != nil {
				return PackageResult{}, err
			}
		}
		f, err := os.Open(p)
		if err != nil {
			return PackageResult{}, fmt.Errorf("package: %w", err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return PackageResult{}, fmt.Errorf("package: %w", err)
		}
		inputs = append(inputs, pack.Input{Name: out.URL(key), R: f, Size: st.Size()})
		beat(ctx, heartbeat{Phase: "download", Frames: int64(i + 1)})
	}

	dir := filepath.Join(scratch, packageDir)
	if local {
		if dir, err = fs.Path(packageDir); err != nil {
			return PackageResult{}, err
		}
	}
	cfg := pack.Config{Segment: time.Duration(t.Package.segment() * float64(time.Second)), Formats: t.Package.Formats}
	var res pack.Result
	err = whileHeartbeating(ctx, heartbeat{Phase: "package"}, func() error {
		var err error
		res, err = pack.Package(ctx, cfg, inputs, nil, dir)
		return err
	})
	if err != nil {
		return PackageResult{}, classifyPack(err)
	}
	pr := packageResult(res, t.Renditions, out.URL(packageDir), t.Package.segment())
	if !local {
		err = whileHeartbeating(ctx, heartbeat{Phase: "publish"}, func() error {
			return PublishPackage(ctx, out, packageDir, dir)
		})
		if err != nil {
			return PackageResult{}, err
		}
	}
	pr.Files, pr.Bytes, err = treeSize(ctx, out, packageDir)
	if err != nil {
		return PackageResult{}, err
	}
	pr.Seconds = time.Since(t0).Seconds()
	return pr, nil
}

// classifyPack makes the packager's input errors bad input: a retry would
// find the same keyframes.
func classifyPack(err error) error {
	if errors.Is(err, pack.ErrInvalidInput) || errors.Is(err, pack.ErrUnsupported) || errors.Is(err, pack.ErrMisaligned) {
		return badInputErr(err)
	}
	return classify(err)
}

// packageResult describes res, whose rungs are names in order, at url.
func packageResult(res pack.Result, names []string, url string, segment float64) PackageResult {
	pr := PackageResult{URL: url, SegmentSeconds: segment}
	if res.Master != "" {
		pr.HLS = mezzfs.JoinURL(url, res.Master)
	}
	if res.MPD != "" {
		pr.DASH = mezzfs.JoinURL(url, res.MPD)
	}
	for i, tr := range res.Video {
		pt := packagedTrack(tr, res.Master != "")
		if i < len(names) {
			pt.Rendition = names[i]
		}
		pr.Video = append(pr.Video, pt)
	}
	for _, tr := range res.Audio {
		pr.Audio = append(pr.Audio, packagedTrack(tr, res.Master != ""))
	}
	return pr
}

func packagedTrack(tr pack.Track, hls bool) PackagedTrack {
	pt := PackagedTrack{
		ID: tr.ID, Codec: tr.Codec, Width: tr.Width, Height: tr.Height, Language: tr.Language, Init: tr.Init,
		SegmentFiles: tr.ID + "/seg-%05d.m4s", Segments: len(tr.Segments),
		PeakBitrate: tr.PeakBitrate, AverageBitrate: tr.AverageBitrate, Bandwidth: tr.Bandwidth, AverageBandwidth: tr.AverageBandwidth,
	}
	if hls {
		pt.Playlist = tr.Playlist
	}
	for i, s := range tr.Segments {
		pt.Bytes += s.Bytes
		pt.LongestSegment = math.Max(pt.LongestSegment, s.Duration)
		if i < len(tr.Segments)-1 || len(tr.Segments) == 1 {
			if pt.ShortestSegment == 0 || s.Duration < pt.ShortestSegment {
				pt.ShortestSegment = s.Duration
			}
		}
	}
	return pt
}

// treeSize counts the objects under prefix/ and their bytes.
func treeSize(ctx context.Context, st mezzfs.Store, prefix string) (int, int64, error) {
	objs, err := st.List(ctx, prefix+"/")
	if err != nil {
		return 0, 0, err
	}
	var n int64
	for _, o := range objs {
		n += o.Size
	}
	return len(objs), n, nil
}

// isManifest says whether a package file is a playlist or an MPD, which
// refer to the others.
func isManifest(name string) bool {
	return strings.HasSuffix(name, ".m3u8") || strings.HasSuffix(name, ".mpd")
}

// isTopManifest says whether a package file is where a player starts.
func isTopManifest(rel string) bool {
	return isManifest(rel) && !strings.Contains(rel, "/")
}

// publishParallel bounds the uploads of one package.
const publishParallel = 8

// PublishPackage copies the package that pack.Package wrote in dir to st
// under prefix ("" for the store's root), in an order that keeps a reader
// from seeing a manifest that names a file not yet there:
//
//  1. the manifests of a package already there are deleted, so that no
//     reader starts on old manifests while their segments are replaced;
//  2. init and media segments are uploaded;
//  3. the media playlists, then master.m3u8 and manifest.mpd;
//  4. files of the old package that the new one does not have are deleted.
//
// Each object appears whole (mezzfs.Store), but S3 has no rename of a
// prefix: a failure part-way leaves segments without the manifests that
// would name them (no player starts there), and a retry writes the same
// names again. A reader that fetched an old manifest before step 1 may be
// served new segments of the same name.
func PublishPackage(ctx context.Context, st mezzfs.Store, prefix, dir string) error {
	key := func(rel string) string {
		if prefix == "" {
			return rel
		}
		return path.Join(prefix, rel)
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return fmt.Errorf("package: %w", err)
	}
	listPrefix := ""
	if prefix != "" {
		listPrefix = prefix + "/"
	}
	old, err := st.List(ctx, listPrefix)
	if err != nil {
		return err
	}
	for _, o := range old {
		if isManifest(o.Key) {
			if err := st.DeletePrefix(ctx, o.Key); err != nil {
				return err
			}
		}
	}
	put := func(keep func(rel string) bool) error {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(publishParallel)
		for _, rel := range files {
			if !keep(rel) {
				continue
			}
			g.Go(func() error {
				_, err := st.Put(gctx, key(rel), filepath.Join(dir, filepath.FromSlash(rel)))
				return err
			})
		}
		return g.Wait()
	}
	if err := put(func(rel string) bool { return !isManifest(rel) }); err != nil {
		return err
	}
	if err := put(func(rel string) bool { return isManifest(rel) && !isTopManifest(rel) }); err != nil {
		return err
	}
	if err := put(isTopManifest); err != nil {
		return err
	}
	written := map[string]bool{}
	for _, rel := range files {
		written[rel] = true
	}
	for _, o := range old {
		if rel := strings.TrimPrefix(o.Key, listPrefix); !written[rel] && !isManifest(rel) {
			if err := st.DeletePrefix(ctx, o.Key); err != nil {
				return err
			}
		}
	}
	return nil
}
