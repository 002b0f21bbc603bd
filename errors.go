package lamindb

import (
	"github.com/lamindb-go/lamindb/internal/errs"
)

// The error taxonomy. Every error the library returns wraps exactly one of these
// classes (test with errors.Is); ExitCode maps the classes to the command line's
// documented exit codes in one place. Finer classes wrap a coarse one:
// errors.Is(err, ErrRefused) holds for ErrLocked too.
var (
	// ErrInvalid marks bad input: a malformed key, an unknown field, a corrupt table (exit 2).
	ErrInvalid = errs.ErrInvalid
	// ErrNotFound marks a missing record, path or instance (exit 3).
	ErrNotFound = errs.ErrNotFound
	// ErrRefused marks an operation the instance refuses: a protected record,
	// a lock, a non-empty storage, storage managed by another instance (exit 4).
	ErrRefused = errs.ErrRefused
	// ErrCancelled marks an operation declined at a confirmation prompt, or one
	// that needed a confirmation nobody could give (exit 5).
	ErrCancelled = errs.ErrCancelled
	// ErrInterrupted marks work stopped by Ctrl-C or a cancelled context (exit
	// 130); the next open repairs what was cut off.
	ErrInterrupted = errs.ErrInterrupted
	// ErrFailure marks I/O, storage and database failures (exit 1).
	ErrFailure = errs.ErrFailure
)

// Finer classes; each wraps one of the classes above.
var (
	// ErrProtected is returned when a foreign key protects a record from deletion.
	ErrProtected = errs.ErrProtected
	// ErrLocked is returned when a locked record would change.
	ErrLocked = errs.ErrLocked
	// ErrNotEmpty is returned when a storage location or instance still holds managed files.
	ErrNotEmpty = errs.ErrNotEmpty
	// ErrForeignStorage is returned for artifacts in storage this instance does not manage.
	ErrForeignStorage = errs.ErrForeignStorage
	// ErrAlreadyManaged is returned when a storage root is managed by another instance.
	ErrAlreadyManaged = errs.ErrAlreadyManaged
	// ErrTaken is returned when a unique key (a name, a key and hash) belongs to another record.
	ErrTaken = errs.ErrTaken
	// ErrChanged is returned when a record or a plan changed between the
	// question and the change (or between planning and acting); nothing changed.
	ErrChanged = errs.ErrChanged
	// ErrBusy is returned when another process is already doing the same work
	// on the instance (for example initializing the same folder).
	ErrBusy = errs.ErrBusy
	// ErrNoInstance is returned when no instance is connected or the named one does not exist.
	ErrNoInstance = errs.ErrNoInstance
	// ErrConfirmationNeeded is returned when an operation needs a confirmation and
	// the options carry no Confirm callback.
	ErrConfirmationNeeded = errs.ErrConfirmationNeeded
	// ErrIncomplete is returned when rows changed but some bytes could not be
	// deleted yet; the purge intent is kept and retried on the next open.
	ErrIncomplete = errs.ErrIncomplete
	// ErrStorage is returned when reading or writing bytes fails, or when bytes
	// in storage differ from what their record says.
	ErrStorage = errs.ErrStorage
	// ErrDatabase is returned when the database fails: busy past every retry,
	// malformed, full or unreachable.
	ErrDatabase = errs.ErrDatabase
	// ErrReadOnly is returned for writes to an instance that can only be read:
	// read-only storage, or a database made by a newer version of lamin.
	ErrReadOnly = errs.ErrReadOnly
)

// Error is an error with a user-facing message and an optional hint on what to do.
type Error = errs.Error

func errorf(class error, format string, args ...any) *Error { return errs.New(class, format, args...) }

func withHint(e *Error, hint string) *Error { return e.WithHint(hint) }

// Exit codes of the lamin command (DESIGN, command-line contract).
const (
	ExitOK          = errs.ExitOK          // success
	ExitFailure     = errs.ExitFailure     // I/O, storage, database, bytes left behind by a purge
	ExitInvalid     = errs.ExitInvalid     // usage or invalid input
	ExitNotFound    = errs.ExitNotFound    // instance, record or path not found; no instance connected
	ExitRefused     = errs.ExitRefused     // protected, locked, not empty, foreign storage, changed since asked
	ExitCancelled   = errs.ExitCancelled   // cancelled at a prompt (also Ctrl-C there)
	ExitInterrupted = errs.ExitInterrupted // Ctrl-C during work
)

// ExitCode maps an error to the command line's exit code.
func ExitCode(err error) int { return errs.ExitCode(err) }

// Hint returns the hint carried by err, or "".
func Hint(err error) string { return errs.Hint(err) }

// ErrorOf returns an error of a class with a message, for programs (such as
// the lamin command) that report their own failures in the taxonomy.
func ErrorOf(class error, format string, args ...any) error { return errorf(class, format, args...) }
