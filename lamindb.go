package lamindb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/internal/cloudsqlite"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/uid"
)

// Options configure how an instance is opened or created. The zero value works:
// settings from LAMIN_SETTINGS_DIR or ~/.lamin, messages discarded.
type Options struct {
	// Settings is the settings folder; zero means DefaultSettings().
	Settings Settings
	// Notify receives lamindb's messages (warnings, hints); nil discards them.
	Notify Notifier
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
	// Store opens the byte store of a storage root; nil means the local folder.
	// It is the seam for other backends and for tests that make storage fail.
	Store func(root string) blob.Store
	// ReadOnly opens the instance for reading only: nothing is migrated,
	// repaired or written, and every change is refused (dry runs use it).
	ReadOnly bool
	// WriteWait bounds how long a write waits for other processes' writes to
	// the same instance; zero means 10 minutes.
	WriteWait time.Duration
}

func (o Options) withDefaults() Options {
	if o.Settings.Dir == "" {
		o.Settings = DefaultSettings()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Instance is an open lamindb instance: its database and its default storage.
// It is safe for use by several goroutines.
type Instance struct {
	db       *sqldb.DB
	opts     Options
	settings InstanceSettings
	uid      string // instance uid, 12 characters
	user     User   // the acting user's row
	owner    string // this process, as recorded in marks and intents
	rels     relationCache
	// unverifiable holds artifacts (by id) whose bytes dedup could not
	// compare (unreadable, or not what their row says): not tried again.
	unverifiable sync.Map

	// here is the storage location whose marker opened the instance, at the
	// root where it lies now (a read-only open of a moved instance cannot
	// record it).
	here Storage

	mu          sync.Mutex
	storage     Storage             // the default storage location
	storageList []Storage           // cache of the registered storage locations
	stored      []int64             // saved artifacts whose "storing" marks are still to be cleared
	dirs        map[string]dirFacts // folders saves came from, see sourcePath

	cloud    *cloudsqlite.DB // the local copy of a SQLite database kept in object storage
	storesMu sync.Mutex
	stores   map[string]blob.Store // by root, see store
}

// Slug returns "owner/name".
func (in *Instance) Slug() string { return in.settings.Slug() }

// UID returns the instance uid (12 characters, derived from the instance id).
func (in *Instance) UID() string { return in.uid }

// ID returns the instance id (uuid5 of the slug, 32 hex characters).
func (in *Instance) ID() string { return in.settings.ID }

// Root returns the absolute root of the default storage location.
func (in *Instance) Root() string { return in.DefaultStorage().Root }

// User returns the acting user.
func (in *Instance) User() User { return in.user }

// DefaultStorage returns the default storage location.
func (in *Instance) DefaultStorage() Storage {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.storage
}

// Close ends pending work (the marks of completed saves) and closes the database.
func (in *Instance) Close() error {
	ferr := in.flushStored(context.Background())
	if err := in.db.Close(); err != nil {
		in.closeCloud(context.Background(), false)
		return err
	}
	// A cloud SQLite database is uploaded now that closing checkpointed it.
	if err := in.closeCloud(context.Background(), true); err != nil {
		return err
	}
	return ferr
}

// now is the current time as a statement argument.
func (in *Instance) now() any { return in.db.Time(in.opts.Now()) }

// store returns the byte store of a storage root, opened once per instance
// (an S3 store holds a client and its connections); a root that cannot be
// opened gives a store whose every call fails with why.
func (in *Instance) store(root string) blob.Store {
	if in.opts.Store != nil {
		return in.opts.Store(root)
	}
	in.storesMu.Lock()
	defer in.storesMu.Unlock()
	if st, ok := in.stores[root]; ok {
		return st
	}
	st, err := openStore(root)
	if err != nil {
		return brokenStore{root: root, err: err}
	}
	if in.stores == nil {
		in.stores = map[string]blob.Store{}
	}
	in.stores[root] = st
	return st
}

// timeLayout is how SQLite stores times (sqldb.TimeLayout); messages and
// logs show times the same way.
const timeLayout = sqldb.TimeLayout

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// Open opens an instance by "owner/name" or bare name; "" opens the connected
// instance (LAMIN_CURRENT_INSTANCE overrides). Opening repairs what a crashed
// process left behind: stale "storing" marks and unfinished purges (not with
// ReadOnly, and not on read-only storage, where it warns instead).
//
// An instance whose SQLite database lives in object storage is locked for
// other writers from Open until Close, which uploads the changes: open it for
// one unit of work (a command, a request), and close it (ReadOnly opens take
// no lock).
func Open(ctx context.Context, name string, o Options) (*Instance, error) {
	opts := o.withDefaults()
	var is InstanceSettings
	var err error
	if name == "" {
		is, err = opts.Settings.Current()
	} else {
		is, err = opts.Settings.Find(name)
	}
	if err != nil {
		return nil, err
	}
	return openSettings(ctx, is, opts)
}

// Connect makes the named instance the current one and opens it. A name that
// is a folder holding an instance (a storage root with .lamindb/ inside)
// connects by path: the instance its marker names, wherever it now lies.
func Connect(ctx context.Context, name string, o Options) (*Instance, error) {
	opts := o.withDefaults()
	if strings.TrimSpace(name) == "" {
		return nil, errorf(ErrInvalid, "pass an instance name (OWNER/NAME) or the folder that holds it")
	}
	var is InstanceSettings
	var err error
	switch {
	case isCloudRoot(name):
		is, err = settingsFromCloud(ctx, name, opts)
	case looksLikePath(name):
		is, err = settingsFromPath(name, opts)
	default:
		is, err = opts.Settings.Find(name)
	}
	if err != nil {
		return nil, err
	}
	in, err := openSettings(ctx, is, opts)
	if err != nil {
		return nil, err
	}
	if err := opts.Settings.SetCurrent(is); err != nil {
		in.Close()
		return nil, err
	}
	opts.Notify.say(LevelImportant, "connected lamindb: %s", is.Slug())
	return in, nil
}

// settingsFromCloud reads the instance an S3 location's marker names, as
// settingsFromPath does for a folder. Its metadata are the PostgreSQL
// database the settings folder already records for it (from its init, or a
// settings file copied from another machine), or else the SQLite database in
// the bucket.
func settingsFromCloud(ctx context.Context, root string, opts Options) (InstanceSettings, error) {
	root = strings.TrimSuffix(root, "/")
	st, err := openStore(root)
	if err != nil {
		return InstanceSettings{}, err
	}
	m, err := readMarkerFrom(ctx, st)
	if errors.Is(err, fs.ErrNotExist) {
		return InstanceSettings{}, withHint(errorf(ErrNoInstance, "no instance at %s: %s is missing", root, where(st, markerKey)),
			"pass the storage root of an instance (the location that holds .lamindb/)")
	} else if err != nil {
		return InstanceSettings{}, storageError(root, err)
	}
	owner, name, ok := strings.Cut(m.slug, "/")
	if !ok || ValidateInstanceName(name) != nil || owner == "" {
		return InstanceSettings{}, errorf(ErrInvalid, "the marker %s names no valid instance (instance_slug=%q)", where(st, markerKey), m.slug)
	}
	is := InstanceSettings{Owner: owner, Name: name, StorageRoot: root, ID: m.instanceID}
	if is.ID == "" {
		is.ID = uid.InstanceID(owner, name)
	}
	if prev, err := opts.Settings.Find(is.Slug()); err == nil && prev.ID == is.ID {
		is.DB, is.env = prev.DB, prev.env
	}
	if is.DB == "" {
		if _, err := st.Stat(ctx, dbKey); err != nil {
			return InstanceSettings{}, withHint(errorf(ErrNoInstance, "instance %s at %s keeps its metadata elsewhere (no %s there, and the settings folder does not name its PostgreSQL database)", is.Slug(), root, where(st, dbKey)),
				"copy the instance's settings file (instance--"+owner+"--"+name+".env) from a machine that has it, or `lamin connect "+is.Slug()+"` there")
		}
	}
	if err := opts.Settings.saveInstance(is); err != nil {
		return InstanceSettings{}, fmt.Errorf("save settings: %w", err)
	}
	return is, nil
}

// looksLikePath reports whether a connect argument names a folder rather than
// an instance: it holds .lamindb/, or is spelled as a path.
func looksLikePath(s string) bool {
	if fi, err := os.Stat(filepath.Join(s, managedDir)); err == nil && fi.IsDir() {
		return true
	}
	return filepath.IsAbs(s) || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || s == "." || s == ".."
}

// settingsFromPath reads the instance a storage root's marker names and
// records it in the settings folder with this root: the marker, not a path
// string, says which instance the folder is.
func settingsFromPath(p string, opts Options) (InstanceSettings, error) {
	root, err := resolvePath(p)
	if err != nil {
		return InstanceSettings{}, invalid(err)
	}
	m, err := readMarker(markerPath(root))
	if err != nil {
		return InstanceSettings{}, withHint(errorf(ErrNoInstance, "no instance at %s: %s is missing or unreadable", root, markerPath(root)),
			"pass the storage root of an instance (the folder that holds .lamindb/)")
	}
	owner, name, ok := strings.Cut(m.slug, "/")
	if !ok || ValidateInstanceName(name) != nil || owner == "" {
		return InstanceSettings{}, errorf(ErrInvalid, "the marker %s names no valid instance (instance_slug=%q)", markerPath(root), m.slug)
	}
	is := InstanceSettings{Owner: owner, Name: name, StorageRoot: root, ID: m.instanceID}
	if is.ID == "" {
		is.ID = uid.InstanceID(owner, name)
	}
	prev, err := opts.Settings.Find(is.Slug())
	if _, serr := os.Stat(filepath.Join(root, managedDir, dbFile)); serr != nil {
		// No SQLite database here: a PostgreSQL instance's settings (from
		// its init, or copied from another machine) say where it is.
		if err != nil || prev.ID != is.ID || prev.DB == "" {
			return InstanceSettings{}, withHint(errorf(ErrNoInstance, "no database at %s: the folder is a storage location of instance %s, not its default storage", filepath.Join(root, managedDir, dbFile), m.slug),
				"connect to the instance by name, or by the root that holds its database")
		}
		is.DB = prev.DB
	}
	if err == nil && prev.ID == is.ID {
		is.env = prev.env // keep what lamindb wrote into the file
	}
	if err == nil && prev.StorageRoot != root && !sameFile(prev.StorageRoot, root) {
		pm, perr := readMarker(markerPath(prev.StorageRoot))
		_, dberr := os.Stat(filepath.Join(prev.StorageRoot, managedDir, dbFile))
		switch {
		case perr == nil && dberr == nil && pm.storageUID != m.storageUID:
			// Another instance of the same name, still where the settings say.
			return InstanceSettings{}, withHint(errorf(ErrTaken, "instance name %s is taken by the instance at %s, which is still there; %s is another instance of that name", is.Slug(), prev.StorageRoot, root),
				"delete or rename one of them, or use a settings folder of its own (LAMIN_SETTINGS_DIR) for the other")
		case perr == nil && dberr == nil:
			opts.Notify.say(LevelWarning, "instance %s also lies at %s (a copy); now using the one at %s", is.Slug(), prev.StorageRoot, root)
		default:
			opts.Notify.say(LevelImportant, "instance %s was at %s; it is now at %s", is.Slug(), prev.StorageRoot, root)
		}
	}
	if err := opts.Settings.saveInstance(is); err != nil {
		return InstanceSettings{}, fmt.Errorf("save settings: %w", err)
	}
	return is, nil
}

func openSettings(ctx context.Context, is InstanceSettings, opts Options) (*Instance, error) {
	if is.DB != "" && !isPostgresURL(is.DB) {
		return nil, errorf(ErrInvalid, "instance %s keeps its metadata in %s, which is neither SQLite nor PostgreSQL", is.Slug(), sqldb.RedactDSN(is.DB))
	}
	dbPath := filepath.Join(is.StorageRoot, managedDir, dbFile)
	if _, err := os.Stat(dbPath); err != nil && is.DB == "" && !isCloudRoot(is.StorageRoot) {
		return nil, withHint(errorf(ErrNoInstance, "instance %s: no database at %s", is.Slug(), dbPath),
			"if the folder moved, connect to it where it is now with `lamin connect DIR`; `lamin delete "+is.Name+" --force` forgets the instance")
	}
	instUID := uid.InstanceUID(is.ID)
	m, err := readMarker(markerPath(is.StorageRoot))
	var st blob.Store // the default storage, for cloud roots
	if isCloudRoot(is.StorageRoot) {
		if st, err = openStore(is.StorageRoot); err == nil {
			if m, err = readMarkerFrom(ctx, st); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, storageError(is.StorageRoot, err)
			}
		}
	}
	if err != nil {
		return nil, withHint(errorf(ErrNoInstance, "instance %s: its marker %s is missing or unreadable", is.Slug(), markerPath(is.StorageRoot)),
			"the folder is not (or no longer) a lamindb storage root; if it moved, connect to it where it is now with `lamin connect DIR`")
	}
	if m.instanceUID != "" && m.instanceUID != instUID {
		return nil, withHint(errorf(ErrNoInstance, "instance %s: the folder %s now holds instance %s (uid %s), not this one (uid %s)", is.Slug(), is.StorageRoot, m.slug, m.instanceUID, instUID),
			"connect to the folder with `lamin connect "+is.StorageRoot+"`")
	}
	in := &Instance{opts: opts, settings: is, uid: instUID, owner: processOwner()}
	var db *sqldb.DB
	if is.DB == "" && st != nil {
		// SQLite in the bucket: a local copy, locked for a writer.
		if in.cloud, err = openCloudSQLite(ctx, is, st, opts); err != nil {
			return nil, err
		}
		if !in.cloud.Exists() {
			in.closeCloud(ctx, false)
			return nil, withHint(errorf(ErrNoInstance, "instance %s: no database at %s", is.Slug(), where(st, dbKey)),
				"`lamin delete "+is.Name+" --force` forgets the instance")
		}
		dbPath = in.cloud.Path()
	}
	if is.DB != "" {
		db, err = openPostgres(ctx, is.connString(), is.Slug(), opts)
	} else {
		db, err = sqldb.OpenSQLite(ctx, dbPath, sqldb.Options{ReadOnly: opts.ReadOnly, WriteWait: opts.WriteWait,
			Waiting: func(d time.Duration) {
				opts.Notify.say(LevelImportant, "waiting for another process to finish writing to %s (%s so far)", is.Slug(), d.Round(time.Second))
			}})
	}
	if err != nil {
		in.closeCloud(ctx, false)
		return nil, err
	}
	in.db = db
	if n := db.LamindbNotice(); n != "" {
		opts.Notify.say(LevelWarning, "%s", n)
	}
	if err := in.load(ctx, m); err != nil {
		db.Close()
		return nil, err
	}
	if err := in.recover(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return in, nil
}

// writable reports whether this instance may change anything.
func (in *Instance) writable() bool { return in.db.ReadOnly() == nil }

// load finds the default storage by the marker's storage uid (and updates its
// recorded root when the instance was moved), and the acting user (adding the
// user's row the first time they act in this instance).
func (in *Instance) load(ctx context.Context, m marker) error {
	root := filepath.ToSlash(in.settings.StorageRoot)
	st, err := scanStorage(in.db.QueryRowContext(ctx, `SELECT `+storageCols+` FROM lamindb_storage WHERE uid = ?`, m.storageUID))
	if sqldb.IsNoRows(err) {
		st, err = in.storageByRoot(ctx, in.db, root)
	}
	if err != nil {
		return fmt.Errorf("default storage: %w", err)
	}
	if st.Root != root && st.UID == m.storageUID {
		if in.writable() {
			if err := in.setStorageRoot(ctx, st.ID, root); err != nil {
				return fmt.Errorf("update the moved storage root: %w", err)
			}
			in.opts.Notify.say(LevelImportant, "updated the storage root of %s from %s to %s (its marker is here)", in.Slug(), st.Root, root)
		}
		st.Root = root
	}
	in.here = st
	if def, ok, err := in.defaultStorageSetting(ctx); err != nil {
		return fmt.Errorf("default storage: %w", err)
	} else if ok {
		st = def
	}
	in.storage = st
	us, _ := in.opts.Settings.User()
	u, err := in.userByHandle(ctx, in.db, us.Handle)
	if errors.Is(err, ErrNotFound) && in.writable() {
		err = in.db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO lamindb_user (uid, handle, created_at, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT DO NOTHING`, us.UID, us.Handle, in.now(), in.now())
			return err
		})
		if err == nil {
			u, err = in.userByHandle(ctx, in.db, us.Handle)
		}
	} else if errors.Is(err, ErrNotFound) {
		u, err = User{Handle: us.Handle, UID: us.UID}, nil // read-only: nobody acts
	}
	if err != nil {
		return fmt.Errorf("user %s: %w", us.Handle, err)
	}
	in.user = u
	return nil
}
