// Package errs is the one error taxonomy of lamindb-go. The root package
// re-exports every class (lamindb.ErrInvalid, …); it lives here so that the
// database layer can classify driver errors once, where they arise, without
// importing the root package.
//
// Every error the library returns wraps exactly one class; finer classes wrap
// a coarser one, so errors.Is(err, Refused) holds for a Locked error too.
package errs

import (
	"context"
	"errors"
	"fmt"
)

// The coarse classes, one per exit code of the command line.
var (
	// Invalid marks bad input: a malformed key, an unknown field, a corrupt table (exit 2).
	Invalid = errors.New("invalid input")
	// NotFound marks a missing record, path or instance (exit 3).
	NotFound = errors.New("not found")
	// Refused marks an operation the instance refuses (exit 4).
	Refused = errors.New("refused")
	// Cancelled marks an operation declined at a prompt, or one that needed a
	// confirmation nobody could give (exit 5).
	Cancelled = errors.New("cancelled")
	// Interrupted marks work stopped by Ctrl-C or a cancelled context (exit 130);
	// the next open repairs what was cut off.
	Interrupted = errors.New("interrupted")
	// Failure marks everything else: I/O, storage, database (exit 1).
	Failure = errors.New("failure")
)

// Finer classes; each wraps one coarse class.
var (
	// Protected: a foreign key protects a record from deletion.
	Protected = fmt.Errorf("protected: %w", Refused)
	// Locked: a locked record would change.
	Locked = fmt.Errorf("locked: %w", Refused)
	// NotEmpty: a storage location or instance still holds managed files.
	NotEmpty = fmt.Errorf("storage not empty: %w", Refused)
	// ForeignStorage: artifacts in storage this instance does not manage.
	ForeignStorage = fmt.Errorf("storage not managed by this instance: %w", Refused)
	// AlreadyManaged: a storage root is managed by another instance.
	AlreadyManaged = fmt.Errorf("storage managed by another instance: %w", Refused)
	// Taken: a unique key (a name, a key and hash, …) is used by another record.
	Taken = fmt.Errorf("taken: %w", Refused)
	// Changed: what a command was about to do changed since it was planned or
	// since the user was asked; nothing was changed.
	Changed = fmt.Errorf("changed since you were asked: %w", Refused)
	// Busy: another process of the same instance is doing the same work.
	Busy = fmt.Errorf("busy: %w", Refused)
	// NoInstance: no instance is connected or the named one does not exist.
	NoInstance = fmt.Errorf("instance: %w", NotFound)
	// ConfirmationNeeded: an operation needs a confirmation and nobody can give it.
	ConfirmationNeeded = fmt.Errorf("confirmation needed: %w", Cancelled)
	// Incomplete: rows changed but some bytes could not be deleted yet; the
	// purge intent is kept and retried on the next open.
	Incomplete = fmt.Errorf("incomplete: bytes left in storage, will be retried: %w", Failure)
	// Storage: reading or writing bytes failed, or bytes differ from their record.
	Storage = fmt.Errorf("storage: %w", Failure)
	// Database: the database failed (busy past every retry, corrupt, full, unreachable).
	Database = fmt.Errorf("database: %w", Failure)
	// ReadOnly: the instance can be read but not written (read-only storage,
	// or a database made by a newer version).
	ReadOnly = fmt.Errorf("read-only: %w", Failure)
)

// Error is an error with a user-facing message and an optional hint on what to do.
type Error struct {
	Class error  // one of the classes above
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

// New returns an error of class with a formatted message.
func New(class error, format string, args ...any) *Error {
	return &Error{Class: class, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of class with a message and its cause.
func Wrap(class error, cause error, format string, args ...any) *Error {
	return &Error{Class: class, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// WithHint sets the hint and returns e.
func (e *Error) WithHint(hint string) *Error { e.Hint = hint; return e }

// Exit codes of the lamin command (DESIGN, command-line contract).
const (
	ExitOK          = 0   // success
	ExitFailure     = 1   // I/O, storage, database, bytes left behind by a purge
	ExitInvalid     = 2   // usage or invalid input
	ExitNotFound    = 3   // instance, record or path not found; no instance connected
	ExitRefused     = 4   // protected, locked, not empty, foreign storage, changed since asked
	ExitCancelled   = 5   // cancelled at a prompt (also Ctrl-C there)
	ExitInterrupted = 130 // Ctrl-C during work
)

// ExitCode maps an error to the command line's exit code. The class of the
// outermost *Error decides, so a refusal whose cause happens to be, say, a
// missing file still exits 4; context cancellation (Ctrl-C) is Interrupted.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *Error
	if errors.As(err, &e) && e.Class != nil {
		err = e.Class
	}
	switch {
	case errors.Is(err, Cancelled):
		return ExitCancelled
	case errors.Is(err, Interrupted), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, Invalid):
		return ExitInvalid
	case errors.Is(err, NotFound):
		return ExitNotFound
	case errors.Is(err, Refused):
		return ExitRefused
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
