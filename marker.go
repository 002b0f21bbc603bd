package lamindb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/lamindb-go/lamindb/blob"
)

// Names inside a storage root's managed folder.
const (
	managedDir    = ".lamindb"
	markerFile    = "storage_uid.txt"
	dbFile        = "lamin.db"
	stagingDir    = ".staging"    // our working folder for bytes being written
	quarantineDir = ".quarantine" // suspect files check --repair set aside
	legacyMarker  = "_is_initialized"
)

// lamindbSetupFile reports whether a name in .lamindb/ is one of lamindb_setup's
// own: its legacy marker, the cloud-SQLite locker's folder, a database
// template. They belong to no artifact, and are not orphans either.
func lamindbSetupFile(name string) bool {
	return name == legacyMarker || name == "_exclusion" || name == dbFile+".gz"
}

// isDBFile reports whether a name in .lamindb/ is the database or one of SQLite's files beside it.
func isDBFile(n string) bool {
	return n == dbFile || n == dbFile+"-wal" || n == dbFile+"-shm" || n == dbFile+"-journal"
}

// ownEntry reports whether name, in the managed folder dir, is one of an
// instance's own entries: the marker, an empty working folder and, with
// withDB, the database and SQLite's files beside it. Anything else there is
// data, which blocks deleting the folder and initializing into it.
func ownEntry(dir, name string, withDB bool) bool {
	switch {
	case name == markerFile:
		return true
	case isDBFile(name):
		return withDB
	case name == stagingDir || name == quarantineDir:
		return emptyDir(filepath.Join(dir, name))
	}
	return false
}

// splitManaged splits what the managed folder dir holds into the paths of
// the instance's own entries (see ownEntry) and the files of everything else.
func splitManaged(dir string, withDB bool) (own, blocked []string, err error) {
	entries, err := os.ReadDir(dir)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if ownEntry(dir, e.Name(), withDB) {
			own = append(own, p)
		} else {
			blocked = append(blocked, blockedObjects(p)...)
		}
	}
	return own, blocked, err
}

// blockedObjects lists the files under p (p itself if it is a file).
func blockedObjects(p string) []string {
	var out []string
	filepath.WalkDir(p, func(path string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	if len(out) == 0 {
		out = append(out, p)
	}
	return out
}

func emptyDir(p string) bool {
	entries, err := os.ReadDir(p)
	return err == nil && len(entries) == 0
}

// marker is what a storage root's .lamindb/storage_uid.txt says: which storage
// location the folder is, and which instance manages it. It is the folder's
// identity: two paths whose markers agree are the same storage.
type marker struct{ storageUID, slug, instanceID, instanceUID string }

func markerPath(root string) string { return filepath.Join(root, managedDir, markerFile) }

// readMarker reads a storage marker; where there is none, lamindb's legacy
// marker .lamindb/_is_initialized beside it (which lamindb renames when it
// marks the root again) is read instead.
func readMarker(path string) (marker, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if lb, lerr := os.ReadFile(filepath.Join(filepath.Dir(path), legacyMarker)); lerr == nil {
			b, err = lb, nil
		}
	}
	if err != nil {
		return marker{}, err
	}
	return parseMarker(b, path)
}

// parseMarker reads a marker's text; where names it in errors.
func parseMarker(b []byte, where string) (marker, error) {
	kv := parseEnv(string(b))
	first, _, _ := strings.Cut(string(b), "\n")
	m := marker{storageUID: strings.TrimSpace(first), slug: kv["instance_slug"], instanceID: kv["instance_id"], instanceUID: kv["instance_uid"]}
	if m.storageUID == "" {
		return m, fmt.Errorf("%s: no storage uid on its first line", where)
	}
	return m, nil
}

// markerKey is the marker's key in a storage root's store.
const markerKey = managedDir + "/" + markerFile

// readMarkerFrom reads the marker of a storage root through its store (an
// S3 location's); a missing one satisfies errors.Is(err, fs.ErrNotExist).
func readMarkerFrom(ctx context.Context, st blob.Store) (marker, error) {
	rc, err := st.Open(ctx, markerKey)
	if err != nil {
		return marker{}, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 64<<10))
	if err != nil {
		return marker{}, err
	}
	return parseMarker(b, where(st, markerKey))
}

func markerBody(storageUID string, is InstanceSettings, instUID string) []byte {
	// lamindb writes it without a final newline.
	return fmt.Appendf(nil, "%s\ncreation info:\ninstance_slug=%s\ninstance_id=%s\ninstance_uid=%s", storageUID, is.Slug(), is.ID, instUID)
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
