//go:build !laminfault

package fault

// Enabled reports whether fault points are compiled in.
const Enabled = false

// Hit does nothing in a build without the laminfault tag.
func Hit(point string) error { return nil }
