package workflows

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/reelmedia/reel/archer"
	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/media"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/vmaf"
)

// verdicts is every sentinel of the cores (and of the stores) with whether
// it is the caller's input. TestSentinelsHaveVerdicts fails when a package
// declares a sentinel this table does not name, so a new one gets a
// decision instead of silently being retried.
var verdicts = []struct {
	name string
	err  error
	bad  bool
}{
	{"encode.ErrNotFound", encode.ErrNotFound, true},
	{"encode.ErrEmpty", encode.ErrEmpty, true},
	{"encode.ErrTruncated", encode.ErrTruncated, true},
	{"encode.ErrInvalidData", encode.ErrInvalidData, true},
	{"encode.ErrNoVideo", encode.ErrNoVideo, true},
	{"encode.ErrUnsupportedCodec", encode.ErrUnsupportedCodec, true},
	{"encode.ErrUnsupportedPixFmt", encode.ErrUnsupportedPixFmt, true},
	{"encode.ErrRangeOutOfBounds", encode.ErrRangeOutOfBounds, true},
	{"encode.ErrOutputUnwritable", encode.ErrOutputUnwritable, false},
	{"encode.ErrHeaderMismatch", encode.ErrHeaderMismatch, true},
	{"encode.ErrNoAudioTrack", encode.ErrNoAudioTrack, true},
	{"encode.ErrIndexMismatch", encode.ErrIndexMismatch, true},
	{"encode.ErrUnsupportedPairs", encode.ErrUnsupportedPairs, true},

	{"mezzfs.ErrNotFound", mezzfs.ErrNotFound, true},
	{"mezzfs.ErrPermission", mezzfs.ErrPermission, true},
	{"mezzfs.ErrObjectChanged", mezzfs.ErrObjectChanged, true},
	{"mezzfs.ErrInvalidURL", mezzfs.ErrInvalidURL, true},
	{"mezzfs.ErrRequest", mezzfs.ErrRequest, false},
	{"mezzfs.ErrTransient", mezzfs.ErrTransient, false},
	{"mezzfs.ErrClosed", mezzfs.ErrClosed, false},
	{"mezzfs.ErrNegativeOffset", mezzfs.ErrNegativeOffset, false},
	{"mezzfs.ErrBadLog", mezzfs.ErrBadLog, true},
	{"mezzfs.ErrBadKey", mezzfs.ErrBadKey, true},
	{"mezzfs.ErrOutsideRoots", mezzfs.ErrOutsideRoots, true},
	{"mezzfs.ErrBucketNotAllowed", mezzfs.ErrBucketNotAllowed, true},
	{"mezzfs.ErrHostNotAllowed", mezzfs.ErrHostNotAllowed, true},

	{"vmaf.ErrInvalidModel", vmaf.ErrInvalidModel, true},
	{"vmaf.ErrUnknownModel", vmaf.ErrUnknownModel, true},
	{"vmaf.ErrSizeMismatch", vmaf.ErrSizeMismatch, true},
	{"vmaf.ErrBitDepthMismatch", vmaf.ErrBitDepthMismatch, true},
	{"vmaf.ErrLengthMismatch", vmaf.ErrLengthMismatch, true},
	{"vmaf.ErrInvalidFrame", vmaf.ErrInvalidFrame, true},
	{"vmaf.ErrInvalidOptions", vmaf.ErrInvalidOptions, true},
	{"vmaf.ErrNoFrames", vmaf.ErrNoFrames, true},
	{"vmaf.ErrClosed", vmaf.ErrClosed, false},

	{"archer.ErrInvalidInput", archer.ErrInvalidInput, true},
	{"archer.ErrUnsupportedFormat", archer.ErrUnsupportedFormat, true},
	{"archer.ErrEmptyRange", archer.ErrEmptyRange, true},
	{"archer.ErrCascadeNotFound", archer.ErrCascadeNotFound, true},
	{"archer.ErrUnknownAnalyzer", archer.ErrUnknownAnalyzer, true},
	{"archer.ErrIncomplete", archer.ErrIncomplete, true},
	{"archer.ErrNeedsFrames", archer.ErrNeedsFrames, false}, // Runner.Reduce reads the frames; only the package-level Reduce returns it

}

// Each sentinel, bare and in the forms the cores return it, is bad input
// exactly when the table says so, and classify turns exactly those into a
// non-retryable BadInput failure with the core's message.
func TestBadInputVerdicts(t *testing.T) {
	for _, v := range verdicts {
		forms := []error{
			v.err,
			fmt.Errorf("probe %q: %w", "in.mov", v.err),
			fmt.Errorf("chunk 3: %w", fmt.Errorf("s3://mezz/film.mov: %w", v.err)),
			errors.Join(io.ErrUnexpectedEOF, v.err),
			&encode.Error{Op: "decode", Name: "in.mov", Msg: "broken", Kind: v.err, Err: io.ErrUnexpectedEOF},
		}
		for _, err := range forms {
			if got := media.IsBadInput(err); got != v.bad {
				t.Errorf("%s: media.IsBadInput(%q) = %v, want %v", v.name, err, got, v.bad)
			}
			got := classify(err)
			var app *temporal.ApplicationError
			isApp := errors.As(got, &app)
			switch {
			case v.bad && (!isApp || app.Type() != ErrorBadInput || !app.NonRetryable() || app.Message() != err.Error()):
				t.Errorf("%s: classify(%q) = %v, want a non-retryable %s with the same message", v.name, err, got, ErrorBadInput)
			case !v.bad && got != err:
				t.Errorf("%s: classify(%q) = %v, want the error unchanged (retried)", v.name, err, got)
			}
		}
	}
	for _, err := range []error{nil, context.Canceled, fmt.Errorf("%w: %w", context.DeadlineExceeded, encode.ErrInvalidData)} {
		if got := classify(err); got != err {
			t.Errorf("classify(%v) = %v, want it unchanged", err, got)
		}
	}
}

// Every exported Err* variable in the cores' and the stores' errors.go has
// a row in verdicts.
func TestSentinelsHaveVerdicts(t *testing.T) {
	named := map[string]bool{}
	for _, v := range verdicts {
		named[v.name] = true
	}
	for _, file := range []string{"../encode/errors.go", "../mezzfs/errors.go", "../vmaf/errors.go", "../archer/errors.go"} {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				for _, id := range s.(*ast.ValueSpec).Names {
					if !id.IsExported() || !strings.HasPrefix(id.Name, "Err") {
						continue
					}
					n++
					if name := f.Name.Name + "." + id.Name; !named[name] {
						t.Errorf("%s declares %s, which has no verdict in this test's table: decide whether it is bad input (media.NewBadInput) and add it", filepath.Clean(file), name)
					}
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no sentinels found; has the file moved?", file)
		}
	}
}
