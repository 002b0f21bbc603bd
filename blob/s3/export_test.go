package s3

// SetRenameHook lets the tests cut a folder move off after a step; nil
// removes the hook. Tests that use it must not run in parallel.
func SetRenameHook(h func(step string) error) { renameHook = h }
