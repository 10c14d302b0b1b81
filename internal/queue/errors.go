package queue

import "errors"

// ErrPermanent marks a handler error that retrying cannot fix (a malformed
// message, an unknown code): the message goes straight to the dead-letter
// store. Test with errors.Is.
var ErrPermanent = errors.New("permanent failure")

// Permanent marks err as permanent. Any other handler error is transient: it
// is retried with backoff, then dead-lettered after the last attempt.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ err error }

func (e permanentError) Error() string        { return e.err.Error() }
func (e permanentError) Unwrap() error        { return e.err }
func (e permanentError) Is(target error) bool { return target == ErrPermanent }

// At records where in the message err was found (e.g. "PID-3" or
// "OBX[2]-5"); the dead letter keeps it for the operator who fixes the
// message.
func At(location string, err error) error {
	if err == nil {
		return nil
	}
	return locatedError{location, err}
}

type locatedError struct {
	location string
	err      error
}

func (e locatedError) Error() string { return e.location + ": " + e.err.Error() }
func (e locatedError) Unwrap() error { return e.err }

// location returns the location attached with At (the outermost, if
// several), or "".
func location(err error) string {
	var le locatedError
	if errors.As(err, &le) {
		return le.location
	}
	return ""
}
