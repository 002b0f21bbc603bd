package lamindb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lamindb-go/lamindb/internal/fault"
	"github.com/lamindb-go/lamindb/internal/sqldb"
	"github.com/lamindb-go/lamindb/internal/uid"
)

// Settings is the folder of user-level settings, lamindb's own: ~/.lamin, or
// $LAMIN_SETTINGS_DIR/.lamin. It is laid out as lamindb-setup lays it out:
// current_user.env, current_instance.env and one instance--<owner>--<name>.env
// per instance, so that both clients read and write the same files.
type Settings struct {
	Dir string // the .lamin folder itself
}

// DefaultSettings returns the settings folder lamindb uses: .lamin in
// LAMIN_SETTINGS_DIR if it is set (that is what the variable means to
// lamindb: the folder that holds .lamin), else in the home folder.
func DefaultSettings() Settings {
	if d := os.Getenv("LAMIN_SETTINGS_DIR"); d != "" {
		return SettingsIn(d)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return SettingsIn(home)
}

// SettingsIn returns the settings folder .lamin inside dir, as lamindb finds
// it with LAMIN_SETTINGS_DIR=dir.
func SettingsIn(dir string) Settings { return Settings{Dir: filepath.Join(dir, ".lamin")} }

// InstanceSettings is what the settings folder records about one instance.
type InstanceSettings struct {
	Owner       string
	Name        string
	StorageRoot string
	ID          string // uuid hex
	// DB is lamindb's connection string for a PostgreSQL instance; "" for
	// SQLite (the database at <root>/.lamindb/lamin.db).
	DB string
	// dsn is DB with its password, as passed to Init, for this process
	// only: it is never written.
	dsn string
	// env holds every key of the file as read, so that rewriting it keeps
	// what lamindb wrote there (schema_str, keep_artifacts_local, …).
	env map[string]string
}

// LocksWhileOpen reports whether opening the instance for writing takes a
// lock that other writers wait for until it is closed: lamindb's exclusion
// lock of a SQLite database kept in a bucket. Such an open must not wait
// for a person (see Query.Ask).
func (s InstanceSettings) LocksWhileOpen() bool { return s.DB == "" && isCloudRoot(s.StorageRoot) }

// DBLocation is where the instance's metadata lives, for people to read: the
// SQLite file in its storage, or the PostgreSQL database without a password.
func (s InstanceSettings) DBLocation() string {
	switch {
	case s.DB != "":
		return sqldb.RedactDSN(s.DB)
	case isCloudRoot(s.StorageRoot):
		return strings.TrimSuffix(s.StorageRoot, "/") + "/" + dbKey
	}
	return filepath.Join(s.StorageRoot, managedDir, dbFile)
}

// Slug returns "owner/name".
func (s InstanceSettings) Slug() string { return s.Owner + "/" + s.Name }

// UserSettings is the acting user.
type UserSettings struct {
	Handle string
	UID    string
	Name   string
}

// AnonymousUser is the user when nobody logged in.
var AnonymousUser = UserSettings{Handle: "anonymous", UID: "00000000"}

func (s Settings) path(name string) string { return filepath.Join(s.Dir, name) }

func (s Settings) instanceFile(owner, name string) string {
	return s.path(envPrefix() + "instance--" + owner + "--" + name + ".env")
}

// envPrefix is the prefix lamindb gives instance settings files when
// LAMIN_ENV names an environment other than prod.
func envPrefix() string {
	if e := os.Getenv("LAMIN_ENV"); e != "" && e != "prod" {
		return e + "--"
	}
	return ""
}

// User returns the acting user: the one set by Login, or anonymous.
func (s Settings) User() (UserSettings, bool) {
	kv, err := readEnv(s.path("current_user.env"))
	if err != nil || kv["lamin_user_handle"] == "" {
		return AnonymousUser, false
	}
	u := UserSettings{Handle: kv["lamin_user_handle"], UID: kv["lamin_user_uid"], Name: kv["lamin_user_name"]}
	if u.UID == "" {
		u.UID = uid.UserUID(u.Handle)
	}
	return u, true
}

// Login sets the acting user, offline: the uid is derived from the handle, so a
// handle has the same uid in every instance.
func (s Settings) Login(handle string) (UserSettings, error) {
	if err := checkName("handle", handle); err != nil {
		return UserSettings{}, err
	}
	if handle == "" || strings.ContainsAny(handle, " /\\=") || strings.Contains(handle, "--") || len(handle) > 30 {
		return UserSettings{}, errorf(ErrInvalid, "invalid handle %q: up to 30 characters, no spaces, '/', '\\', '=' or \"--\"", handle)
	}
	u := UserSettings{Handle: handle, UID: uid.UserUID(handle)}
	return u, writeEnv(s.path("current_user.env"), [][2]string{
		{"lamin_user_handle", u.Handle}, {"lamin_user_uid", u.UID}, {"lamin_user_name", "null"},
	})
}

// Logout returns to the anonymous user.
func (s Settings) Logout() error {
	err := fault.Remove(s.path("current_user.env"))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// saveInstance writes the instance's settings file, replacing one there.
func (s Settings) saveInstance(is InstanceSettings) error {
	return writeFileAtomic(s.instanceFile(is.Owner, is.Name), instanceEnv(is))
}

// createInstance writes the instance's settings file only if none exists:
// two instances never share one name, even when two inits race.
func (s Settings) createInstance(is InstanceSettings) error {
	err := writeFileExclusive(s.instanceFile(is.Owner, is.Name), instanceEnv(is))
	if errors.Is(err, fs.ErrExist) {
		return s.nameTaken(is)
	}
	return err
}

// nameTaken is the refusal of a second instance with an existing slug.
func (s Settings) nameTaken(is InstanceSettings) error {
	where := ""
	if kv, err := readEnv(s.instanceFile(is.Owner, is.Name)); err == nil {
		where = " (its storage is at " + parseInstance(kv).StorageRoot + ")"
	}
	return withHint(errorf(ErrTaken, "instance name %s is taken by another instance%s", is.Slug(), where),
		"pass --name to choose another name, or connect to it with `lamin connect "+is.Slug()+"`")
}

// instanceEnv is the settings file as lamindb writes it: its 14 keys in its
// order, None as null. Keys we do not set keep the value the file had.
func instanceEnv(is InstanceSettings) []byte {
	kv := [][2]string{
		{"lamindb_instance_owner", is.Owner}, {"lamindb_instance_name", is.Name},
		{"lamindb_instance_storage_root", is.StorageRoot}, {"lamindb_instance_storage_region", "null"},
		{"lamindb_instance_db", "null"}, {"lamindb_instance_schema_str", "null"},
		{"lamindb_instance_id", is.ID}, {"lamindb_instance_git_repo", "null"},
		{"lamindb_instance_keep_artifacts_local", "False"}, {"lamindb_instance_api_url", "null"},
		{"lamindb_instance_schema_id", "null"}, {"lamindb_instance_fine_grained_access", "False"},
		{"lamindb_instance_db_permissions", "null"}, {"lamindb_instance_is_clone", "False"},
	}
	ours := map[string]bool{"lamindb_instance_owner": true, "lamindb_instance_name": true,
		"lamindb_instance_storage_root": true, "lamindb_instance_id": true}
	for i, p := range kv {
		if v, ok := is.env[p[0]]; ok && !ours[p[0]] {
			if v == "" {
				v = "null" // python-dotenv reads both as None; lamindb writes null
			}
			kv[i][1] = v
		}
	}
	if is.DB != "" {
		kv[4][1] = is.DB
	}
	return envBytes(kv)
}

// SetCurrent makes the instance the connected one.
func (s Settings) SetCurrent(is InstanceSettings) error {
	b, err := os.ReadFile(s.instanceFile(is.Owner, is.Name))
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path("current_instance.env"), b)
}

// Disconnect forgets the connected instance.
func (s Settings) Disconnect() error {
	err := fault.Remove(s.path("current_instance.env"))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

func parseInstance(kv map[string]string) InstanceSettings {
	db := kv["lamindb_instance_db"]
	if db == "null" {
		db = ""
	}
	return InstanceSettings{
		Owner: kv["lamindb_instance_owner"], Name: kv["lamindb_instance_name"],
		StorageRoot: kv["lamindb_instance_storage_root"], ID: kv["lamindb_instance_id"], DB: db, env: kv,
	}
}

// Current returns the connected instance: LAMIN_CURRENT_INSTANCE if set, else
// the one chosen by connect or init.
func (s Settings) Current() (InstanceSettings, error) {
	if name := os.Getenv("LAMIN_CURRENT_INSTANCE"); name != "" {
		return s.Find(name)
	}
	kv, err := readEnv(s.path("current_instance.env"))
	if err != nil {
		return InstanceSettings{}, withHint(errorf(ErrNoInstance, "no instance connected"),
			"create one with `lamin init --storage DIR` or connect with `lamin connect NAME`")
	}
	return parseInstance(kv), nil
}

// Find looks an instance up by "owner/name" or bare name: the acting user's
// instance of that name first, else the one other owner's. Names match
// exactly; a bare name that several owners use is ambiguous.
func (s Settings) Find(name string) (InstanceSettings, error) {
	owner, bare, ok := strings.Cut(name, "/")
	if !ok {
		bare = name
		u, _ := s.User()
		owner = u.Handle
	}
	if err := ValidateInstanceName(bare); err != nil {
		return InstanceSettings{}, err
	}
	if ok && (owner == "" || strings.ContainsAny(owner, `/\`) || strings.Contains(owner, "--")) {
		return InstanceSettings{}, errorf(ErrInvalid, "invalid instance %q: expected NAME or OWNER/NAME", name)
	}
	if kv, err := readEnv(s.instanceFile(owner, bare)); err == nil {
		if is := parseInstance(kv); is.Owner == owner && is.Name == bare {
			return is, nil
		}
	}
	if !ok {
		all, err := s.Instances()
		if err != nil {
			return InstanceSettings{}, err
		}
		var found []InstanceSettings
		for _, is := range all {
			if is.Name == bare {
				found = append(found, is)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
		default:
			var slugs []string
			for _, is := range found {
				slugs = append(slugs, is.Slug())
			}
			return InstanceSettings{}, errorf(ErrInvalid, "instance name %s is ambiguous: %s; pass OWNER/NAME", bare, strings.Join(slugs, ", "))
		}
	}
	return InstanceSettings{}, withHint(errorf(ErrNoInstance, "instance %s not found", name),
		"list known instances in "+s.Dir+", create one with `lamin init --storage DIR`, or connect by path with `lamin connect DIR`")
}

// Instances returns every instance the settings folder knows, by slug.
func (s Settings) Instances() ([]InstanceSettings, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []InstanceSettings
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, "instance--") || !strings.HasSuffix(n, ".env") {
			continue
		}
		kv, err := readEnv(s.path(n))
		if err != nil {
			continue
		}
		is := parseInstance(kv)
		if s.instanceFile(is.Owner, is.Name) == s.path(n) { // a file whose name and content agree
			out = append(out, is)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Slug() < out[j].Slug() })
	return out, nil
}

func (s Settings) removeInstance(is InstanceSettings) error {
	if cur, err := s.Current(); err == nil && cur.Slug() == is.Slug() {
		_ = s.Disconnect()
	}
	err := fault.Remove(s.instanceFile(is.Owner, is.Name))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// logInstanceDeletion appends to the settings folder's record of deleted
// instances: their own audit table is gone with them.
func (s Settings) logInstanceDeletion(line string) error {
	f, err := os.OpenFile(s.path("deleted-instances.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, line)
	return err
}

func readEnv(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseEnv(string(b)), nil
}

// parseEnv reads KEY=VALUE lines as lamindb-setup writes them; "null" is empty.
func parseEnv(text string) map[string]string {
	kv := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\r"), "=")
		if !ok {
			continue
		}
		// A value is kept as written: a folder name may end in a space.
		if v == "null" {
			v = ""
		}
		kv[strings.TrimSpace(k)] = v
	}
	return kv
}

func writeEnv(path string, kv [][2]string) error { return writeFileAtomic(path, envBytes(kv)) }

func envBytes(kv [][2]string) []byte {
	var b strings.Builder
	for _, p := range kv {
		fmt.Fprintf(&b, "%s=%s\n", p[0], p[1])
	}
	return []byte(b.String())
}

// writeFileAtomic writes via a temporary file and a rename, so a crash never
// leaves a half-written file. The temporary name is unique: two processes
// writing the same file never share one.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := writeTemp(path, b)
	if err != nil {
		return err
	}
	if err := fault.Rename(tmp, path); err != nil {
		fault.Remove(tmp)
		return err
	}
	return nil
}

// writeFileExclusive writes a complete file at path unless one exists there
// (fs.ErrExist): the content appears at once, through a hard link.
func writeFileExclusive(path string, b []byte) error {
	tmp, err := writeTemp(path, b)
	if err != nil {
		return err
	}
	defer fault.Remove(tmp)
	return fault.Link(tmp, path)
}

func writeTemp(path string, b []byte) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		fault.Remove(f.Name())
		return "", werr
	}
	return f.Name(), nil
}
