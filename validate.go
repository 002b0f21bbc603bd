package lamindb

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkText refuses text a user gave that is not valid UTF-8 (lamindb's
// columns are text, and PostgreSQL rejects invalid UTF-8 outright).
func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return errorf(ErrInvalid, "%s is not valid UTF-8: %q", what, s)
	}
	return nil
}

// checkName refuses keys and names that are not valid UTF-8 or hold control
// characters (newlines, tabs, escapes): they would break listings, settings
// files and terminals.
func checkName(what, s string) error {
	if err := checkText(what, s); err != nil {
		return err
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return errorf(ErrInvalid, "%s %q holds a control character (%U); use printable characters", what, s, []rune(s[i:])[0])
	}
	return nil
}

// ValidateInstanceName checks an instance name: a single path component
// without separators, whitespace or control characters, and without "--"
// (the settings file instance--OWNER--NAME.env must name one instance only).
func ValidateInstanceName(name string) error {
	if err := checkName("instance name", name); err != nil {
		return err
	}
	switch {
	case name == "" || name == "." || name == "..":
		return errorf(ErrInvalid, "invalid instance name %q", name)
	case strings.ContainsAny(name, `/\`):
		return errorf(ErrInvalid, "invalid instance name %q: no '/' or '\\' allowed", name)
	case strings.IndexFunc(name, unicode.IsSpace) >= 0:
		return errorf(ErrInvalid, "invalid instance name %q: no whitespace allowed", name)
	case strings.Contains(name, "--"):
		return errorf(ErrInvalid, "invalid instance name %q: no \"--\" allowed", name)
	case len(name) > 100:
		return errorf(ErrInvalid, "invalid instance name %q: longer than 100 characters", name)
	}
	return nil
}

// checkDescription refuses descriptions that are not valid UTF-8 or hold
// control characters other than newlines and tabs (terminal escapes would be
// printed in every message naming the record).
func checkDescription(s string) error {
	if err := checkText("description", s); err != nil {
		return err
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }); i >= 0 {
		return errorf(ErrInvalid, "description %q holds a control character (%U)", s, []rune(s[i:])[0])
	}
	return nil
}
