package encode

import "github.com/asticode/go-astiav"

// SetLogLevel sets how much FFmpeg itself prints on stderr: quiet, error,
// warn (or warning), info or debug. Unknown names mean warn. Errors reach
// callers as typed errors whatever the level; this only concerns FFmpeg's
// own diagnostics. Call it from the program's main wiring, not from cores.
func SetLogLevel(level string) {
	l := astiav.LogLevelWarning
	switch level {
	case "quiet":
		l = astiav.LogLevelQuiet
	case "error":
		l = astiav.LogLevelError
	case "info":
		l = astiav.LogLevelInfo
	case "debug":
		l = astiav.LogLevelDebug
	}
	astiav.SetLogLevel(l)
}
