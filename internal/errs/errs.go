// Package errs is the one error taxonomy of lamindb-go. The root package
// re-exports every class (lamindb.ErrInvalid, …); it lives here so that the
// database layer can classify driver errors once, where they arise, without
// importing the root package.
//
// Every error the library returns wraps exactly one class; finer classes wrap
// a coarser one, so errors.Is(err, ErrRefused) holds for a Locked error too.
package errs

import (
	"context"
	"errors"
	"fmt"
)

// The coarse classes, one per exit code of the command line.
var (
	// ErrInvalid marks bad input: a malformed key, an unknown field, a corrupt table (exit 2).
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound marks a missing record, path or instance (exit 3).
	ErrNotFound = errors.New("not found")
	// ErrRefused marks an operation the instance refuses (exit 4).
	ErrRefused = errors.New("refused")
	// ErrCancelled marks an operation declined at a prompt, or one that needed a
	// confirmation nobody could give (exit 5).
	ErrCancelled = errors.New("cancelled")
	// ErrInterrupted marks work stopped by Ctrl-C or a cancelled context (exit 130);
	// the next open repairs what was cut off.
	ErrInterrupted = errors.New("interrupted")
	// ErrFailure marks everything else: I/O, storage, database (exit 1).
	ErrFailure = errors.New("failure")
)

// Finer classes; each wraps one coarse class.
var (
	// ErrProtected: a foreign key protects a record from deletion.
	ErrProtected = fmt.Errorf("protected: %w", ErrRefused)
	// ErrLocked: a locked record would change.
	ErrLocked = fmt.Errorf("locked: %w", ErrRefused)
	// ErrNotEmpty: a storage location or instance still holds managed files.
	ErrNotEmpty = fmt.Errorf("storage not empty: %w", ErrRefused)
	// ErrForeignStorage: artifacts in storage this instance does not manage.
	ErrForeignStorage = fmt.Errorf("storage not managed by this instance: %w", ErrRefused)
	// ErrAlreadyManaged: a storage root is managed by another instance.
	ErrAlreadyManaged = fmt.Errorf("storage managed by another instance: %w", ErrRefused)
	// ErrTaken: a unique key (a name, a key and hash, …) is used by another record.
	ErrTaken = fmt.Errorf("taken: %w", ErrRefused)
	// ErrChanged: what a command was about to do changed since it was planned or
	// since the user was asked; nothing was changed.
	ErrChanged = fmt.Errorf("changed since you were asked: %w", ErrRefused)
	// ErrBusy: another process of the same instance is doing the same work.
	ErrBusy = fmt.Errorf("busy: %w", ErrRefused)
	// ErrNoInstance: no instance is connected or the named one does not exist.
	ErrNoInstance = fmt.Errorf("instance: %w", ErrNotFound)
	// ErrConfirmationNeeded: an operation needs a confirmation and nobody can give it.
	ErrConfirmationNeeded = fmt.Errorf("confirmation needed: %w", ErrCancelled)
	// ErrIncomplete: rows changed but some bytes could not be deleted yet; the
	// purge intent is kept and retried on the next open.
	ErrIncomplete = fmt.Errorf("incomplete: bytes left in storage, will be retried: %w", ErrFailure)
	// ErrStorage: reading or writing bytes failed, or bytes differ from their record.
	ErrStorage = fmt.Errorf("storage: %w", ErrFailure)
	// ErrDatabase: the database failed (busy past every retry, corrupt, full, unreachable).
	ErrDatabase = fmt.Errorf("database: %w", ErrFailure)
	// ErrReadOnly: the instance can be read but not written (read-only storage,
	// or a database made by a newer version).
	ErrReadOnly = fmt.Errorf("read-only: %w", ErrFailure)
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
	case errors.Is(err, ErrCancelled):
		return ExitCancelled
	case errors.Is(err, ErrInterrupted), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, ErrInvalid):
		return ExitInvalid
	case errors.Is(err, ErrNotFound):
		return ExitNotFound
	case errors.Is(err, ErrRefused):
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
