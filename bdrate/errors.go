package bdrate

import "errors"

var (
	// ErrTooFewPoints: a curve has fewer than 4 points.
	ErrTooFewPoints = errors.New("bdrate: too few points")
	// ErrNotMonotone: a curve's quality does not rise strictly with rate, or
	// two points share a rate.
	ErrNotMonotone = errors.New("bdrate: curve not monotone")
	// ErrNoOverlap: the curves' quality (BD-rate) or rate (BD-quality)
	// ranges do not overlap.
	ErrNoOverlap = errors.New("bdrate: ranges do not overlap")
	// ErrInvalidInput: a rate ≤ 0 or a value that is not a finite number.
	ErrInvalidInput = errors.New("bdrate: invalid input")
)
