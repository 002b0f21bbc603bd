package lamindb

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Names inside a storage root's managed folder.
const (
	managedDir    = ".lamindb"
	markerFile    = "storage_uid.txt"
	dbFile        = "lamin.db"
	stagingDir    = ".staging"    // our working folder for bytes being written
	quarantineDir = ".quarantine" // suspect files check --repair set aside
)

// marker is what a storage root's .lamindb/storage_uid.txt says: which storage
// location the folder is, and which instance manages it. It is the folder's
// identity: two paths whose markers agree are the same storage.
type marker struct{ storageUID, slug, instanceID, instanceUID string }

func markerPath(root string) string { return filepath.Join(root, managedDir, markerFile) }

func readMarker(path string) (marker, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return marker{}, err
	}
	kv := parseEnv(string(b))
	first, _, _ := strings.Cut(string(b), "\n")
	m := marker{storageUID: strings.TrimSpace(first), slug: kv["instance_slug"], instanceID: kv["instance_id"], instanceUID: kv["instance_uid"]}
	if m.storageUID == "" {
		return m, fmt.Errorf("%s: no storage uid on its first line", path)
	}
	return m, nil
}

func markerBody(storageUID string, is InstanceSettings, instUID string) []byte {
	return fmt.Appendf(nil, "%s\ncreation info:\ninstance_slug=%s\ninstance_id=%s\ninstance_uid=%s\n", storageUID, is.Slug(), is.ID, instUID)
}

// resolvePath returns p absolute and with symbolic links resolved, so that one
// folder reached through two paths compares equal. A tail that does not exist
// yet is kept as given, below its resolved existing parent.
func resolvePath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var tail []string
	for cur := abs; ; cur = filepath.Dir(cur) {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(append([]string{r}, tail...)...), nil
		}
		if cur == filepath.Dir(cur) {
			return abs, nil
		}
		tail = append([]string{filepath.Base(cur)}, tail...)
	}
}

// sameFile reports whether two paths name the same file or folder (device and
// inode), whatever the spelling of their paths.
func sameFile(a, b string) bool {
	var sa, sb syscall.Stat_t
	if syscall.Stat(a, &sa) != nil || syscall.Stat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}
