package lamindb

import "fmt"

// Level is the importance of a message, following lamindb's logger.
type Level int

// Message levels, with lamindb's prefixes.
const (
	LevelError     Level = 40 // ✗
	LevelWarning   Level = 30 // !
	LevelImportant Level = 31 // →
	LevelHint      Level = 32 // • (important hint)
	LevelSuccess   Level = 25 // ✓
	LevelInfo      Level = 20 // plain info
)

// Prefix returns lamindb's message prefix for the level.
func (l Level) Prefix() string {
	switch l {
	case LevelError:
		return "✗"
	case LevelWarning:
		return "!"
	case LevelImportant:
		return "→"
	case LevelHint:
		return "•"
	case LevelSuccess:
		return "✓"
	}
	return "•"
}

// Notifier receives the messages lamindb would log; nil discards them.
type Notifier func(level Level, msg string)

func (n Notifier) say(l Level, format string, args ...any) {
	if n != nil {
		n(l, fmt.Sprintf(format, args...))
	}
}
