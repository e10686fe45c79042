package workflows

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/reelmedia/reel/media"
)

// classify is where a core's error crosses into Temporal: an error the core
// marks as its caller's input (media.IsBadInput: a corrupt, missing or
// unsupported source, frames that do not match) fails at once with the
// core's message; anything else is returned as it is and retried by
// retryPolicy. The verdict is the core's: a new sentinel is classified by
// how its package declares it, not by a list kept here.
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if media.IsBadInput(err) {
		return badInputErr(err)
	}
	return err
}

// badInputErr fails with err without a retry: for the core errors classify
// finds, and for the problems the workflows find themselves (an invalid
// job, a chunk that encodes to the wrong number of frames).
func badInputErr(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrorBadInput, err)
}

// retryPolicy is every activity's: a few tries with backoff for what may
// pass (a worker lost, a network error, a throttled store), none for bad
// input.
func retryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		MaximumAttempts:        5,
		NonRetryableErrorTypes: []string{ErrorBadInput},
	}
}
