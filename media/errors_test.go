package media

import (
	"errors"
	"fmt"
	"testing"
)

// notBad has the method but says no: IsBadInput must look past it.
type notBad struct{ err error }

func (e notBad) Error() string  { return "not bad: " + e.err.Error() }
func (e notBad) Unwrap() error  { return e.err }
func (e notBad) BadInput() bool { return false }

func TestIsBadInput(t *testing.T) {
	bad := NewBadInput("no video stream")
	other := errors.New("connection reset")
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"sentinel", bad, true},
		{"wrapped", fmt.Errorf("probe %q: %w", "in.mp4", bad), true},
		{"wrapped twice", fmt.Errorf("job: %w", fmt.Errorf("chunk 3: %w", bad)), true},
		{"joined", errors.Join(other, bad), true},
		{"second of %w %w", fmt.Errorf("%w: %w", other, bad), true},
		{"under a no", notBad{bad}, true},
		{"plain", other, false},
		{"wrapped plain", fmt.Errorf("read: %w", other), false},
		{"a no alone", notBad{other}, false},
		{"joined plain", errors.Join(other, errors.New("x")), false},
		{"text only", errors.New(bad.Error()), false},
	} {
		if got := IsBadInput(tc.err); got != tc.want {
			t.Errorf("%s: IsBadInput(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
	if a, b := NewBadInput("x"), NewBadInput("x"); errors.Is(a, b) {
		t.Error("two sentinels with the same text match each other")
	}
}
