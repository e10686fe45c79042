package media

// NewBadInput returns a sentinel error, like errors.New, that IsBadInput
// recognises: the cores declare the sentinels for problems in their
// caller's input (a corrupt or missing source, an impossible request) with
// it, and leave the others (a closed object, a failure that may pass) as
// plain errors.New. Each call returns a distinct error.
//
//	var ErrNoVideo = media.NewBadInput("no video stream")
func NewBadInput(text string) error {
	return &badInputError{text: text}
}

type badInputError struct{ text string }

func (e *badInputError) Error() string  { return e.text }
func (e *badInputError) BadInput() bool { return true }

// badInputer is what IsBadInput looks for. It is unexported so that the
// verdict stays with the error's type: any package can make its own error
// type bad input by giving it this method.
type badInputer interface{ BadInput() bool }

// IsBadInput reports whether an error in err's tree (see errors.Is) has a
// BadInput method that returns true: the failure is in what the caller
// gave (a file, a URL, a frame range, options), so trying again with the
// same input fails the same way. Callers use it to decide not to retry.
func IsBadInput(err error) bool {
	for err != nil {
		if b, ok := err.(badInputer); ok && b.BadInput() {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if IsBadInput(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
