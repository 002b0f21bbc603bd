package lamindb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/lamindb-go/lamindb/blob"
	"github.com/lamindb-go/lamindb/internal/fault"
	"github.com/lamindb-go/lamindb/internal/flock"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/uid"
)

// InitOptions describe a new instance.
type InitOptions struct {
	Options
	// Storage is the root folder of the default storage location (required).
	Storage string
	// Name defaults to the lower-cased last component of Storage.
	Name string
	// DB is a PostgreSQL connection string (postgresql://user[:password]@host[:port]/dbname)
	// of an empty database the instance gets for its metadata; "" keeps
	// them in SQLite at <root>/.lamindb/lamin.db. The settings file records
	// it without the password (PGPASSWORD or ~/.pgpass give it later).
	DB string
}

// Init creates an instance with its database at <root>/.lamindb/lamin.db and
// connects to it.
//
// It is safe against itself and against what exists: a name that is taken is
// refused (ErrTaken), a folder that holds an instance or another instance's
// marker is refused and left alone, two inits of one folder exclude each other,
// and the database appears complete or not at all. On failure it removes only
// what this call created.
func Init(ctx context.Context, o InitOptions) (in *Instance, err error) {
	opts := o.Options.withDefaults()
	if o.Storage == "" {
		return nil, errorf(ErrInvalid, "pass --storage: the root folder of the instance's default storage")
	}
	if isCloudRoot(o.Storage) {
		return initCloud(ctx, o, opts)
	}
	if strings.Contains(o.Storage, "://") {
		return nil, errorf(ErrInvalid, "storage %s: pass a local folder or s3://bucket[/prefix]", o.Storage)
	}
	if err := checkName("storage path", o.Storage); err != nil {
		return nil, err
	}
	if o.DB != "" && !isPostgresURL(o.DB) {
		return nil, errorf(ErrInvalid, "--db %s: pass a PostgreSQL connection string (postgresql://user@host:port/dbname)", sqldb.RedactDSN(o.DB))
	}
	root, err := resolvePath(o.Storage)
	if err != nil {
		return nil, &Error{Class: ErrInvalid, Msg: "storage " + o.Storage, Err: err}
	}
	for _, part := range strings.Split(filepath.ToSlash(root), "/") {
		if strings.Contains(part, managedDir) {
			return nil, errorf(ErrInvalid, `Please pass a folder name that does not end or contain ".lamindb"`)
		}
	}
	is, user, err := newInstanceSettings(o, root, opts)
	if err != nil {
		return nil, err
	}
	instUID := uid.InstanceUID(is.ID)

	// What this call made, removed again if it fails: files, and folders only
	// while empty, so that a concurrent init's work is never touched.
	var created []string
	defer func() {
		if err != nil {
			for i := len(created) - 1; i >= 0; i-- {
				removeDBFiles(created[i])
			}
		}
	}()
	dir := filepath.Join(root, managedDir)
	created = append(created, missingDirs(dir)...)
	if err = os.MkdirAll(dir, 0o755); err != nil {
		return nil, &Error{Class: ErrInvalid, Msg: fmt.Sprintf("create %s: %v", root, err), Err: err}
	}
	unlock, err := lockFolder(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	dbPath := filepath.Join(dir, dbFile)
	marker := markerPath(root)
	m, merr := readMarker(marker)
	_, dberr := os.Stat(dbPath)
	switch {
	case merr == nil && m.instanceUID == "":
		return nil, withHint(errorf(ErrAlreadyManaged, "%s holds a storage marker that names no instance; it is left untouched", marker),
			"choose another folder, or remove the marker if it is not lamindb's")
	case merr == nil && m.instanceUID != instUID:
		return nil, withHint(errorf(ErrAlreadyManaged, "storage %s is already managed by instance %s (uid %s)", root, m.slug, m.instanceUID),
			"connect to that instance with `lamin connect "+root+"`, or choose another folder")
	case dberr == nil && merr == nil:
		return nil, withHint(errorf(ErrAlreadyManaged, "instance %s already exists at %s", m.slug, root),
			"connect to it with `lamin connect "+root+"`")
	case dberr == nil:
		return nil, withHint(errorf(ErrAlreadyManaged, "%s holds a database but no marker %s; it is left untouched", root, marker),
			"if it is a lamindb instance, restore its marker file; otherwise choose another folder")
	case !errors.Is(dberr, fs.ErrNotExist):
		return nil, &Error{Class: ErrStorage, Msg: fmt.Sprintf("cannot read %s: %v", dbPath, dberr), Err: dberr}
	}
	// A marker of this same instance without a database is what a crashed
	// init of it left; the init lock says no other init is at work.
	removeStaleInitFiles(dir)
	if foreign := foreignFiles(dir); len(foreign) > 0 {
		return nil, withHint(errorf(ErrAlreadyManaged, "%s already holds files that are not an instance's (%s); they are left untouched", dir, strings.Join(foreign, ", ")),
			"choose another folder, or move them away")
	}
	storageUID := m.storageUID
	writeMarker := func() error {
		if err := writeFileExclusive(marker, markerBody(storageUID, is, instUID)); err != nil {
			return &Error{Class: ErrStorage, Msg: fmt.Sprintf("write the marker %s: %v", marker, err), Err: err}
		}
		created = append(created, marker)
		return nil
	}
	if merr != nil {
		storageUID = uid.New(12)
		if o.DB == "" {
			if err = writeMarker(); err != nil {
				return nil, err
			}
		}
	}
	fault.Hit(fault.InitAfterMarker)
	if o.DB != "" {
		// The database first, the marker after: a marker of this instance
		// then always means its database holds it, and an init cut off
		// between the two finds its rows (by this root) and goes on.
		var seeded bool
		if seeded, storageUID, err = createPostgres(ctx, o.DB, is.Slug(), storageUID, root, user, instUID, merr == nil, opts); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil && seeded {
				// Only what this call made: never an instance found there.
				dropPostgres(context.WithoutCancel(ctx), o.DB, is.Slug(), opts)
			}
		}()
		if merr != nil {
			if err = writeMarker(); err != nil {
				return nil, err
			}
		}
	} else {
		if err = createDatabase(ctx, dbPath, storageUID, root, user, instUID, opts); err != nil {
			return nil, err
		}
		created = append(created, dbPath)
	}
	fault.Hit(fault.InitAfterDB)
	if err = opts.Settings.createInstance(is); err != nil {
		return nil, err
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

// newInstanceSettings names a new instance (by default the storage's last
// path component, lower-cased), refuses a name taken in the settings folder,
// and warns when nobody is logged in.
func newInstanceSettings(o InitOptions, root string, opts Options) (InstanceSettings, UserSettings, error) {
	name := o.Name
	if name == "" {
		name = strings.ToLower(path.Base(strings.TrimPrefix(filepath.ToSlash(root), "s3://")))
	}
	if err := ValidateInstanceName(name); err != nil {
		return InstanceSettings{}, UserSettings{}, err
	}
	user, loggedIn := opts.Settings.User()
	is := InstanceSettings{Owner: user.Handle, Name: name, StorageRoot: root, ID: uid.InstanceID(user.Handle, name)}
	if o.DB != "" {
		is.DB, is.dsn = withoutPassword(o.DB), o.DB
	}
	if _, err := os.Stat(opts.Settings.instanceFile(is.Owner, is.Name)); err == nil {
		return InstanceSettings{}, UserSettings{}, opts.Settings.nameTaken(is)
	}
	if !loggedIn {
		opts.Notify.say(LevelWarning, "using anonymous user (to identify, call: lamin login)")
	}
	return is, user, nil
}

// initPrefix names the database while init builds it.
const initPrefix = dbFile + ".init-"

// createDatabase builds the database under a temporary name (schema and seed
// rows), then links it to its final name, which must not exist: the database
// appears complete or not at all.
func createDatabase(ctx context.Context, dbPath, storageUID, root string, user UserSettings, instUID string, opts Options) error {
	tmp := filepath.Join(filepath.Dir(dbPath), initPrefix+uid.New(8))
	defer removeDBFiles(tmp)
	db, err := sqldb.OpenSQLite(ctx, tmp)
	if err != nil {
		return err
	}
	err = db.Tx(ctx, func(ctx context.Context, tx *sqldb.Tx) error {
		for _, s := range seedRows(storageUID, root, user, instUID, db.Time(opts.Now())) {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("create the database: %w", err)
	}
	// Closing the last connection checkpoints the WAL into the file; a WAL
	// left behind would hold rows the linked file lacks.
	if fi, err := os.Stat(tmp + "-wal"); err == nil && fi.Size() > 0 {
		return errorf(ErrDatabase, "create the database: its write-ahead log was not checkpointed")
	}
	if err := fault.Link(tmp, dbPath); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return errorf(ErrAlreadyManaged, "another process created %s meanwhile; it is left untouched", dbPath)
		}
		return &Error{Class: ErrStorage, Msg: fmt.Sprintf("create %s: %v", dbPath, err), Err: err}
	}
	return nil
}

// removeDBFiles removes a file (a database with SQLite's files beside it) or
// an empty folder.
func removeDBFiles(p string) {
	for _, s := range []string{"", "-wal", "-shm", "-journal"} {
		fault.Remove(p + s)
	}
}

// removeStaleInitFiles removes what a crashed init left half-built: its
// database and its marker's temporary file. The caller holds the folder's
// init lock, so no live init owns them.
func removeStaleInitFiles(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, initPrefix) || strings.HasPrefix(n, "."+markerFile+".tmp-") {
			fault.Remove(filepath.Join(dir, n))
		}
	}
}

// foreignFiles lists what a managed folder holds besides an instance's own
// files (marker, database, empty working folders).
func foreignFiles(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if !ownEntry(dir, e.Name(), true) {
			out = append(out, e.Name())
		}
	}
	return out
}

// missingDirs returns the folders of p that do not exist yet, outermost first.
func missingDirs(p string) []string {
	var out []string
	for d := p; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || d == filepath.Dir(d) {
			return out
		}
		out = append([]string{d}, out...)
	}
}

// lockFolder takes an exclusive, non-blocking flock on a folder for the time
// of an init (or an instance delete): a second one is refused, not queued.
// The kernel drops the lock when the process dies, so a crash leaves none.
func lockFolder(dir string) (unlock func(), err error) {
	l, err := flock.TryLock(dir)
	if errors.Is(err, flock.ErrBusy) {
		return nil, errorf(ErrBusy, "another lamin process is initializing or deleting the instance at %s", filepath.Dir(dir))
	}
	if err != nil {
		return nil, &Error{Class: ErrStorage, Msg: fmt.Sprintf("lock %s: %v", dir, err), Err: err}
	}
	return l.Unlock, nil
}

// markerSettle is how long an init waits after writing a marker in object
// storage before it reads it back: longer than the time between another
// init's look at the empty location and its own write.
var markerSettle = time.Second

// claimCloudMarker writes the marker of a new instance into object storage,
// which has no create-if-absent: it looks that there is none (again: the
// first look may be seconds old), writes, waits markerSettle, and reads the
// marker back. Of inits racing for one location, every one but the last
// writer sees another's marker and refuses; the last one sees its own.
func claimCloudMarker(ctx context.Context, st blob.Store, body []byte, storageUID string) error {
	if m, err := readMarkerFrom(ctx, st); err == nil {
		return withHint(errorf(ErrAlreadyManaged, "storage %s was taken by instance %s meanwhile; it is left to it", st.Root(), m.slug),
			"choose another location, or connect to that instance")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return storageError(st.Root(), err)
	}
	if _, err := st.Put(ctx, markerKey, bytes.NewReader(body), int64(len(body))); err != nil {
		return storageError(st.Root(), err)
	}
	t := time.NewTimer(markerSettle)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return errorf(ErrInterrupted, "interrupted; nothing was created")
	case <-t.C:
	}
	m, err := readMarkerFrom(ctx, st)
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return storageError(st.Root(), err)
	case err != nil || m.storageUID != storageUID:
		who := "another init"
		if err == nil {
			who = "instance " + m.slug
		}
		return withHint(errorf(ErrAlreadyManaged, "storage %s was taken by %s at the same time; it is left to it", st.Root(), who),
			"choose another location, or connect to that instance")
	}
	return nil
}

// initCloud creates an instance whose default storage is an S3 location:
// the marker goes into the bucket (written only where no other instance's
// is, and where .lamindb/ holds nothing else), the metadata into
// PostgreSQL, or into a SQLite database in the bucket (.lamindb/lamin.db, as
// lamindb keeps it). On failure it removes only what it made.
func initCloud(ctx context.Context, o InitOptions, opts Options) (in *Instance, err error) {
	root := strings.TrimSuffix(o.Storage, "/")
	if strings.Contains(root, managedDir) {
		return nil, errorf(ErrInvalid, `Please pass a folder name that does not end or contain ".lamindb"`)
	}
	st, err := openStore(root)
	if err != nil {
		return nil, err
	}
	is, user, err := newInstanceSettings(o, root, opts)
	if err != nil {
		return nil, err
	}
	instUID := uid.InstanceUID(is.ID)
	if err := checkStore(ctx, st); err != nil {
		return nil, err
	}
	m, merr := readMarkerFrom(ctx, st)
	switch {
	case merr == nil && m.instanceUID != instUID:
		return nil, withHint(errorf(ErrAlreadyManaged, "storage %s is already managed by instance %s (uid %s)", root, m.slug, m.instanceUID),
			"connect to that instance, or choose another location")
	case merr != nil && !errors.Is(merr, fs.ErrNotExist):
		return nil, storageError(root, merr)
	}
	storageUID := m.storageUID
	if merr != nil {
		entries, lerr := st.List(ctx, managedDir)
		if lerr != nil {
			return nil, storageError(root, lerr)
		}
		var foreign []string
		for _, e := range entries {
			if rest := strings.TrimPrefix(e.Key, managedDir+"/"); !strings.HasPrefix(rest, "_exclusion/") {
				foreign = append(foreign, rest)
			}
		}
		if len(foreign) > 0 {
			return nil, withHint(errorf(ErrAlreadyManaged, "%s already holds objects that are not an instance's (%s); they are left untouched", where(st, managedDir), strings.Join(foreign, ", ")),
				"choose another location, or move them away")
		}
		storageUID = uid.New(12)
	}
	claimed := false
	defer func() {
		if err != nil && claimed { // the named result: this call failed
			// Only our own marker: another init may have taken the key.
			if m, rerr := readMarkerFrom(context.WithoutCancel(ctx), st); rerr == nil && m.storageUID == storageUID {
				st.Delete(context.WithoutCancel(ctx), markerKey)
			}
		}
	}()
	claim := func() error {
		if err := claimCloudMarker(ctx, st, markerBody(storageUID, is, instUID), storageUID); err != nil {
			return err
		}
		claimed = true
		return nil
	}
	if o.DB == "" && merr != nil {
		if err = claim(); err != nil {
			return nil, err
		}
	}
	if o.DB == "" {
		if merr == nil {
			// A marker of this instance but no database in the bucket: a live
			// PostgreSQL instance's storage, or a cut-off init; not ours to take.
			if _, serr := st.Stat(ctx, dbKey); errors.Is(serr, fs.ErrNotExist) {
				return nil, withHint(errorf(ErrAlreadyManaged, "storage %s is already managed by instance %s, whose metadata are not in the bucket; it is left untouched", root, m.slug),
					"connect to that instance (its settings file names its database), or choose another location; if the marker is what a cut-off init left, remove it")
			}
		}
		if err = createCloudSQLite(ctx, is, st, storageUID, user, instUID, opts); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				st.Delete(context.WithoutCancel(ctx), dbKey)
				removeLocalCopy(root)
			}
		}()
	} else {
		// The database first, the marker after (see Init).
		var seeded bool
		if seeded, storageUID, err = createPostgres(ctx, o.DB, is.Slug(), storageUID, root, user, instUID, merr == nil, opts); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil && seeded {
				dropPostgres(context.WithoutCancel(ctx), o.DB, is.Slug(), opts)
			}
		}()
		if merr != nil {
			if err = claim(); err != nil {
				return nil, err
			}
		}
	}
	if err = opts.Settings.createInstance(is); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			fault.Remove(opts.Settings.instanceFile(is.Owner, is.Name))
		}
	}()
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
