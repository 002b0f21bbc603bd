package fault

import "os"

// FS is the fault point passed before every rename, link and unlink that
// lamin makes (not SQLite's own): LAMIN_FAULT=fs@N kills a process before its
// Nth one, so a test can cut a command off at each of its steps in turn.
const FS = "fs"

// Rename is os.Rename after the fault point FS.
func Rename(from, to string) error {
	if err := Hit(FS); err != nil {
		return err
	}
	return os.Rename(from, to)
}

// Link is os.Link after the fault point FS.
func Link(from, to string) error {
	if err := Hit(FS); err != nil {
		return err
	}
	return os.Link(from, to)
}

// Remove is os.Remove after the fault point FS.
func Remove(p string) error {
	if err := Hit(FS); err != nil {
		return err
	}
	return os.Remove(p)
}

// RemoveAll is os.RemoveAll after the fault point FS.
func RemoveAll(p string) error {
	if err := Hit(FS); err != nil {
		return err
	}
	return os.RemoveAll(p)
}

// Create opens p for writing, creating or truncating it, after the fault point FS.
func Create(p string) (*os.File, error) {
	if err := Hit(FS); err != nil {
		return nil, err
	}
	return os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
}
