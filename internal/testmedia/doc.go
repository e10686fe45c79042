// Package testmedia makes the media files that tests need with the ffmpeg
// CLI, the same bytes on every machine, and finds the reference data in
// ../shared.
//
// A clip is described by its ffmpeg command line, generated once and
// cached (keyed by the command line and the ffmpeg version) under the user
// cache directory or $REEL_TEST_MEDIA_CACHE, which CI sets to an empty
// directory. Random lavfi sources (gradients, life, cellauto, sierpinski,
// noise, ...) must carry a fixed seed, and encoders run with a fixed
// thread count, so a clip never depends on the machine or on what a cache
// held:
//
//	src := testmedia.File(t, "bars", "mp4", "-f", "lavfi", "-i", "gradients=s=320x180:seed=7",
//		"-frames:v", "50", "-c:v", "libx264")
//
// MultiShot makes clips of hard-cut shots (static, moderate and
// high-motion lavfi sources) for the per-shot tests: TuningShots is the
// clip the per-shot settings were tried on, HeldOutShots one kept out.
package testmedia
