package hull

import "errors"

var (
	// ErrInvalidInput: no shots, a shot without frames or points, or a point
	// with bits ≤ 0 or a quality that is not a finite number.
	ErrInvalidInput = errors.New("hull: invalid input")
	// ErrUnreachable: no point of the title hull meets the target (a bitrate
	// below the cheapest point, a quality above the best one, or a cap that
	// cannot be met).
	ErrUnreachable = errors.New("hull: target unreachable")
)
