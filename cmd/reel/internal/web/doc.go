// Package web is reel's dashboard: one HTML page, a script and a style
// sheet, with the JavaScript libraries it uses vendored from npm at pinned
// versions (npm/package-lock.json; scripts/vendor-web.sh copies them into
// assets/vendor), all embedded in the binary. Nothing is fetched from a CDN.
//
// The page reads everything from the HTTP API (cmd/reel/internal/api,
// /api/v1) and keeps its routes in the URL's hash, so the server serves
// only "/" and "/assets/...":
//
//	mux.Handle("/", web.Handler())
//
// Views: the live job list (state, progress, frames/s, ETA from the
// progress events); a job (per rendition bitrate, size, pooled VMAF and
// PSNR, VMAF percentiles, a per-frame plot of VMAF and PSNR-Y over the whole
// timeline with chunk edges and re-encoded chunks marked, zoomable, and the
// worst frames); a frame (source and rendition side by side at the source
// size, a wipe, a toggle and a difference image); rate-quality (bitrate
// against pooled VMAF on a log axis, two jobs' curves and their BD-rate);
// and the shots of an analysis with thumbnails.
//
// The per-frame plot asks the API for at most 20 000 points (the mean and
// minimum of each bucket), so a 200 000-frame film draws as fast as a short
// one; the worst-frames table reads every frame's VMAF.
package web
