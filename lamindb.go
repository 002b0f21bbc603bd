package lamindb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/blob/local"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/uid"
)

// Names inside a storage root's managed folder.
const (
	managedDir = ".lamindb"
	markerFile = "storage_uid.txt"
	dbFile     = "lamin.db"
	stagingDir = ".staging" // our working folder for bytes being written
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
type Instance struct {
	db       *sqldb.DB
	opts     Options
	settings InstanceSettings
	uid      string // instance uid, 12 characters
	user     User   // the acting user's row
	storage  Storage
	owner    string // this process, as recorded in marks and intents

	storageList []Storage // cache of the registered storage locations

	mu     sync.Mutex
	stored []int64 // saved artifacts whose "storing" marks are still to be cleared
}

// InitOptions describe a new instance.
type InitOptions struct {
	Options
	// Storage is the root folder of the default storage location (required).
	Storage string
	// Name defaults to the lower-cased last component of Storage.
	Name string
}

// Slug returns "owner/name".
func (in *Instance) Slug() string { return in.settings.Slug() }

// UID returns the instance uid (12 characters, derived from the instance id).
func (in *Instance) UID() string { return in.uid }

// ID returns the instance id (uuid5 of the slug, 32 hex characters).
func (in *Instance) ID() string { return in.settings.ID }

// Root returns the absolute root of the default storage location.
func (in *Instance) Root() string { return in.storage.Root }

// User returns the acting user.
func (in *Instance) User() User { return in.user }

// DefaultStorage returns the default storage location.
func (in *Instance) DefaultStorage() Storage { return in.storage }

// Close closes the database.
// Close ends pending work (the marks of completed saves) and closes the database.
func (in *Instance) Close() error {
	ferr := in.flushStored(context.Background())
	if err := in.db.Close(); err != nil {
		return err
	}
	return ferr
}

func (in *Instance) now() string { return formatTime(in.opts.Now()) }

// store returns the byte store of a storage root.
func (in *Instance) store(root string) blob.Store {
	if in.opts.Store != nil {
		return in.opts.Store(root)
	}
	return local.New(filepath.FromSlash(root))
}

// timeLayout is how times are stored: UTC with microseconds, so text order is time order.
const timeLayout = "2006-01-02 15:04:05.000000"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// Init creates an instance with its database at <root>/.lamindb/lamin.db and
// connects to it. On any failure everything it created is removed again.
func Init(ctx context.Context, o InitOptions) (in *Instance, err error) {
	opts := o.Options.withDefaults()
	if o.Storage == "" {
		return nil, errorf(ErrInvalid, "pass --storage: the root folder of the instance's default storage")
	}
	if strings.HasPrefix(o.Storage, "s3://") || strings.Contains(o.Storage, "://") {
		return nil, errorf(ErrInvalid, "storage %s: only local folders are supported so far", o.Storage)
	}
	root, err := filepath.Abs(o.Storage)
	if err != nil {
		return nil, &Error{Class: ErrInvalid, Msg: "storage " + o.Storage, Err: err}
	}
	for _, part := range strings.Split(filepath.ToSlash(root), "/") {
		if strings.Contains(part, managedDir) {
			return nil, errorf(ErrInvalid, `Please pass a folder name that does not end or contain ".lamindb"`)
		}
	}
	name := o.Name
	if name == "" {
		name = strings.ToLower(filepath.Base(root))
	}
	if strings.Contains(name, "/") || name == "" || name == "." {
		return nil, errorf(ErrInvalid, "invalid instance name %q: no '/' allowed", name)
	}
	user, loggedIn := opts.Settings.User()
	if !loggedIn {
		opts.Notify.say(LevelWarning, "using anonymous user (to identify, call: lamin login)")
	}
	is := InstanceSettings{Owner: user.Handle, Name: name, StorageRoot: root, ID: uid.InstanceID(user.Handle, name)}
	instUID := uid.InstanceUID(is.ID)

	// A root may be managed by one instance only: its marker says which.
	marker := filepath.Join(root, managedDir, markerFile)
	if m, err := readMarker(marker); err == nil {
		if m.instanceUID != instUID {
			return nil, withHint(errorf(ErrAlreadyManaged,
				"storage %s is already managed by instance %s (uid %s)", root, m.slug, m.instanceUID),
				"connect to that instance, or choose another folder")
		}
		if _, err := os.Stat(filepath.Join(root, managedDir, dbFile)); err == nil {
			return nil, withHint(errorf(ErrRefused, "instance %s already exists at %s", is.Slug(), root),
				"connect to it with `lamin connect "+name+"`")
		}
	}

	var created []string // paths to remove if init fails
	defer func() {
		if err != nil {
			for i := len(created) - 1; i >= 0; i-- {
				os.RemoveAll(created[i])
			}
		}
	}()
	// Remember the outermost folder we create, to remove it again on failure.
	for d := filepath.Join(root, managedDir); ; d = filepath.Dir(d) {
		if _, statErr := os.Stat(d); !os.IsNotExist(statErr) || d == filepath.Dir(d) {
			break
		}
		created = []string{d}
	}
	if err = os.MkdirAll(filepath.Join(root, managedDir), 0o755); err != nil {
		return nil, &Error{Class: ErrInvalid, Msg: fmt.Sprintf("create %s: %v", root, err), Err: err}
	}
	dbPath := filepath.Join(root, managedDir, dbFile)
	created = append(created, dbPath, dbPath+"-wal", dbPath+"-shm")
	db, err := sqldb.OpenSQLite(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	storageUID := uid.New(12)
	now := formatTime(opts.Now())
	err = db.Tx(ctx, func(tx *sqldb.Tx) error {
		stmts := []struct {
			q    string
			args []any
		}{
			{`INSERT INTO lamindb_user (id, uid, handle, name, created_at, updated_at) VALUES (1, ?, ?, NULL, ?, ?)`, []any{user.UID, user.Handle, now, now}},
			{`INSERT INTO lamindb_space (id, uid, name, description, created_at, created_by_id) VALUES (1, 'aaaaaaaaaaaa', 'all', 'Every team & user with access to the instance has access.', ?, 1)`, []any{now}},
			{`INSERT INTO lamindb_branch (id, uid, name, description, created_at, space_id, created_by_id) VALUES (-1, 'tttttttttttt', 'trash', 'The trash.', ?, 1, 1), (0, 'aaaaaaaaaaaa', 'archive', 'The archive.', ?, 1, 1), (1, 'mmmmmmmmmmmm', 'main', 'The main & default branch of the instance.', ?, 1, 1)`, []any{now, now, now}},
			{`INSERT INTO lamindb_storage (id, uid, root, type, region, instance_uid, created_at, updated_at, created_by_id) VALUES (1, ?, ?, 'local', NULL, ?, ?, ?, 1)`, []any{storageUID, filepath.ToSlash(root), instUID, now, now}},
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("seed instance: %w", err)
	}
	db.Close()
	if err = writeMarker(marker, storageUID, is, instUID); err != nil {
		return nil, err
	}
	created = append(created, marker)
	if err = opts.Settings.saveInstance(is); err != nil {
		return nil, fmt.Errorf("save settings: %w", err)
	}
	created = append(created, opts.Settings.instanceFile(is.Owner, is.Name))
	if err = opts.Settings.SetCurrent(is); err != nil {
		return nil, fmt.Errorf("save settings: %w", err)
	}
	in, err = openSettings(ctx, is, opts)
	if err != nil {
		return nil, err
	}
	opts.Notify.say(LevelImportant, "initialized lamindb: %s", is.Slug())
	return in, nil
}

// Open opens an instance by "owner/name" or bare name; "" opens the connected
// instance (LAMIN_CURRENT_INSTANCE overrides). Opening repairs what a crashed
// process left behind: stale "storing" marks and unfinished purges.
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

// Connect makes the named instance the current one and opens it.
func Connect(ctx context.Context, name string, o Options) (*Instance, error) {
	opts := o.withDefaults()
	is, err := opts.Settings.Find(name)
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

func openSettings(ctx context.Context, is InstanceSettings, opts Options) (*Instance, error) {
	dbPath := filepath.Join(is.StorageRoot, managedDir, dbFile)
	if _, err := os.Stat(dbPath); err != nil {
		return nil, withHint(errorf(ErrNoInstance, "instance %s: no database at %s", is.Slug(), dbPath),
			"the storage folder was moved or deleted; `lamin delete "+is.Name+" --force` forgets the instance")
	}
	db, err := sqldb.OpenSQLite(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	in := &Instance{db: db, opts: opts, settings: is, uid: uid.InstanceUID(is.ID), owner: processOwner()}
	if err := in.load(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := in.recover(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("repair after crash: %w", err)
	}
	return in, nil
}

// load reads the default storage and the acting user (adding the user's row the
// first time they act in this instance).
func (in *Instance) load(ctx context.Context) error {
	st, err := in.storageByRoot(ctx, in.db, filepath.ToSlash(in.settings.StorageRoot))
	if err != nil {
		return fmt.Errorf("default storage: %w", err)
	}
	if def, ok := in.defaultStorageSetting(ctx); ok {
		st = def
	}
	in.storage = st
	us, _ := in.opts.Settings.User()
	u, err := in.userByHandle(ctx, us.Handle)
	if errors.Is(err, ErrNotFound) {
		err = in.db.Tx(ctx, func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO lamindb_user (uid, handle, created_at, updated_at) VALUES (?, ?, ?, ?)`,
				us.UID, us.Handle, in.now(), in.now())
			return err
		})
		if err == nil {
			u, err = in.userByHandle(ctx, us.Handle)
		}
	}
	if err != nil {
		return fmt.Errorf("user %s: %w", us.Handle, err)
	}
	in.user = u
	return nil
}

// DeleteInstanceOptions configure DeleteInstance.
type DeleteInstanceOptions struct {
	Options
	// Force skips the confirmation.
	Force bool
	// DryRun reports what would be removed and changes nothing.
	DryRun bool
	// Confirm asks the user; nil with Force unset refuses with ErrConfirmationNeeded.
	Confirm func(prompt string) bool
}

// InstanceDeletion is what deleting an instance removes (or would remove).
type InstanceDeletion struct {
	Slug    string   `json:"slug"`
	Root    string   `json:"root"`
	Remove  []string `json:"remove"`  // files and folders that go
	Blocked []string `json:"blocked"` // managed files that block the deletion
}

// DeleteInstance deletes an instance: its database, marker and settings. It is
// refused while .lamindb/ holds anything but the database's own files, the
// marker and our working folder; files outside .lamindb/ stay.
func DeleteInstance(ctx context.Context, name string, o DeleteInstanceOptions) (*InstanceDeletion, error) {
	opts := o.Options.withDefaults()
	is, err := opts.Settings.Find(name)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(is.StorageRoot, managedDir)
	d := &InstanceDeletion{Slug: is.Slug(), Root: is.StorageRoot}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		p := filepath.Join(dir, n)
		switch {
		case n == markerFile, n == dbFile, n == dbFile+"-wal", n == dbFile+"-shm", n == dbFile+"-journal", n == stagingDir:
			d.Remove = append(d.Remove, p)
		default:
			d.Blocked = append(d.Blocked, blockedObjects(p)...)
		}
	}
	d.Remove = append(d.Remove, dir, opts.Settings.instanceFile(is.Owner, is.Name))
	if len(d.Blocked) > 0 {
		sort.Strings(d.Blocked)
		if o.DryRun {
			return d, nil
		}
		return d, errorf(ErrNotEmpty, "'%s' contains %d objects:\n%s\ndelete them prior to deleting the storage location",
			dir, len(d.Blocked), strings.Join(d.Blocked, "\n"))
	}
	if o.DryRun {
		return d, nil
	}
	if !o.Force {
		if o.Confirm == nil {
			return d, errorf(ErrConfirmationNeeded, "deleting instance %s needs a confirmation", is.Slug())
		}
		if !o.Confirm(fmt.Sprintf("Are you sure you want to delete instance %s? (y/n) ", is.Slug())) {
			return d, errorf(ErrCancelled, "cancelled: instance %s not deleted", is.Slug())
		}
	}
	opts.Notify.say(LevelImportant, "deleting instance %s", is.Slug())
	for _, p := range d.Remove[:len(d.Remove)-1] {
		if err := os.RemoveAll(p); err != nil {
			return d, fmt.Errorf("delete instance: %w", err)
		}
	}
	// Like lamindb, try to remove the root itself, which only succeeds when empty.
	_ = os.Remove(is.StorageRoot)
	if err := opts.Settings.removeInstance(is); err != nil {
		return d, err
	}
	user, _ := opts.Settings.User()
	_ = opts.Settings.logInstanceDeletion(fmt.Sprintf("%s\tdelete-instance\t%s\t%s\t%s",
		formatTime(opts.Now()), is.Slug(), is.StorageRoot, user.Handle))
	return d, nil
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

type marker struct{ storageUID, slug, instanceUID string }

func readMarker(path string) (marker, error) {
	kv, err := readEnv(path)
	if err != nil {
		return marker{}, err
	}
	b, _ := os.ReadFile(path)
	first, _, _ := strings.Cut(string(b), "\n")
	return marker{storageUID: strings.TrimSpace(first), slug: kv["instance_slug"], instanceUID: kv["instance_uid"]}, nil
}

func writeMarker(path, storageUID string, is InstanceSettings, instUID string) error {
	body := fmt.Sprintf("%s\ncreation info:\ninstance_slug=%s\ninstance_id=%s\ninstance_uid=%s\n", storageUID, is.Slug(), is.ID, instUID)
	return writeFileAtomic(path, []byte(body))
}
