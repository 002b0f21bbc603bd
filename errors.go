package lamindb

import (
	"errors"
	"fmt"
)

// The error taxonomy. Every error the library returns wraps exactly one of these
// classes (test with errors.Is); ExitCode maps the classes to the command line's
// documented exit codes in one place.
var (
	// ErrInvalid marks bad input: a malformed key, an unknown field, a corrupt table.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound marks a missing record, path or instance.
	ErrNotFound = errors.New("not found")
	// ErrRefused marks an operation the instance refuses: a protected record,
	// a lock, a non-empty storage, storage managed by another instance.
	ErrRefused = errors.New("refused")
	// ErrCancelled marks an operation declined at a confirmation prompt, or one
	// that needed a confirmation nobody could give.
	ErrCancelled = errors.New("cancelled")
)

// Finer classes; each wraps one of the classes above.
var (
	// ErrProtected is returned when a foreign key protects a record from deletion.
	ErrProtected = fmt.Errorf("protected: %w", ErrRefused)
	// ErrLocked is returned when a locked record would change.
	ErrLocked = fmt.Errorf("locked: %w", ErrRefused)
	// ErrNotEmpty is returned when a storage location still holds managed files.
	ErrNotEmpty = fmt.Errorf("storage not empty: %w", ErrRefused)
	// ErrForeignStorage is returned for artifacts in storage this instance does not manage.
	ErrForeignStorage = fmt.Errorf("storage not managed by this instance: %w", ErrRefused)
	// ErrAlreadyManaged is returned when a storage root is managed by another instance.
	ErrAlreadyManaged = fmt.Errorf("storage managed by another instance: %w", ErrRefused)
	// ErrNoInstance is returned when no instance is connected or the named one does not exist.
	ErrNoInstance = fmt.Errorf("instance: %w", ErrNotFound)
	// ErrConfirmationNeeded is returned when an operation needs a confirmation and
	// the options carry no Confirm callback.
	ErrConfirmationNeeded = fmt.Errorf("confirmation needed: %w", ErrCancelled)
	// ErrIncomplete is returned when rows changed but some bytes could not be
	// deleted yet; the purge intent is kept and retried on the next open.
	ErrIncomplete = errors.New("incomplete: bytes left in storage, will be retried")
)

// Error is an error with a user-facing message and an optional hint on what to do.
type Error struct {
	Class error  // one of the Err… values above
	Msg   string // shown to the user verbatim
	Hint  string // what to try next; may be empty
	Err   error  // the cause, if any
}

// Error returns the user-facing message.
func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the class and the cause, so errors.Is works with both.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Class}
	}
	return []error{e.Class, e.Err}
}

func errorf(class error, format string, args ...any) *Error {
	return &Error{Class: class, Msg: fmt.Sprintf(format, args...)}
}

func withHint(e *Error, hint string) *Error { e.Hint = hint; return e }

// Exit codes of the lamin command (DESIGN, command-line contract).
const (
	ExitOK        = 0 // success
	ExitFailure   = 1 // I/O, storage, database, bytes left behind by a purge
	ExitInvalid   = 2 // usage or invalid input
	ExitNotFound  = 3 // instance, record or path not found; no instance connected
	ExitRefused   = 4 // protected, locked, not empty, foreign storage, not permitted
	ExitCancelled = 5 // cancelled at a prompt
)

// ExitCode maps an error to the command line's exit code.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrInvalid):
		return ExitInvalid
	case errors.Is(err, ErrNotFound):
		return ExitNotFound
	case errors.Is(err, ErrRefused):
		return ExitRefused
	case errors.Is(err, ErrCancelled):
		return ExitCancelled
	}
	return ExitFailure
}

// Hint returns the hint carried by err, or "".
func Hint(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}
