package workflows

// Observer is told what this worker's activities did, for metrics: the CLI
// implements it with Prometheus collectors, so workflows never imports a
// metrics library. Methods are called from activity goroutines at once and
// must return quickly.
type Observer interface {
	// ChunkEncoded reports one attempt of one chunk encoded (and scored)
	// here; an attempt found already done is not reported. res.VMAF is a
	// score only when vmafScored.
	ChunkEncoded(rendition string, res ChunkResult, vmafScored bool)
	// ChunkFailed reports an attempt that ended in an error other than the
	// activity being cancelled (job cancelled, worker stopping).
	ChunkFailed(rendition string, err error)
	// Assembled reports a rendition assembled here in seconds.
	Assembled(rendition string, seconds float64)
}
