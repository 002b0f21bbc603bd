package lamindb

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lamindb-go/lamindb/internal/uid"
)

// Settings is the folder of user-level settings (LAMIN_SETTINGS_DIR, default
// ~/.lamin), laid out as lamindb-setup lays it out: current_user.env,
// current_instance.env and one instance--<owner>--<name>.env per instance.
type Settings struct {
	Dir string
}

// DefaultSettings returns the settings folder from LAMIN_SETTINGS_DIR or ~/.lamin.
func DefaultSettings() Settings {
	if d := os.Getenv("LAMIN_SETTINGS_DIR"); d != "" {
		return Settings{Dir: d}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return Settings{Dir: filepath.Join(home, ".lamin")}
}

// InstanceSettings is what the settings folder records about one instance.
type InstanceSettings struct {
	Owner       string
	Name        string
	StorageRoot string
	ID          string // uuid hex
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
	return s.path("instance--" + owner + "--" + name + ".env")
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
	if handle == "" || strings.ContainsAny(handle, " /\\\n=") || len(handle) > 30 {
		return UserSettings{}, errorf(ErrInvalid, "invalid handle %q", handle)
	}
	u := UserSettings{Handle: handle, UID: uid.UserUID(handle)}
	return u, writeEnv(s.path("current_user.env"), [][2]string{
		{"lamin_user_handle", u.Handle}, {"lamin_user_uid", u.UID}, {"lamin_user_name", "null"},
	})
}

// Logout returns to the anonymous user.
func (s Settings) Logout() error {
	err := os.Remove(s.path("current_user.env"))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

func (s Settings) saveInstance(is InstanceSettings) error {
	kv := [][2]string{
		{"lamindb_instance_owner", is.Owner}, {"lamindb_instance_name", is.Name},
		{"lamindb_instance_storage_root", is.StorageRoot}, {"lamindb_instance_storage_region", "null"},
		{"lamindb_instance_db", "null"}, {"lamindb_instance_schema_str", "null"},
		{"lamindb_instance_id", is.ID}, {"lamindb_instance_git_repo", "null"},
		{"lamindb_instance_keep_artifacts_local", "False"}, {"lamindb_instance_api_url", "null"},
		{"lamindb_instance_schema_id", "null"}, {"lamindb_instance_fine_grained_access", "False"},
		{"lamindb_instance_db_permissions", "null"}, {"lamindb_instance_is_clone", "False"},
	}
	return writeEnv(s.instanceFile(is.Owner, is.Name), kv)
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
	err := os.Remove(s.path("current_instance.env"))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

func parseInstance(kv map[string]string) InstanceSettings {
	return InstanceSettings{
		Owner: kv["lamindb_instance_owner"], Name: kv["lamindb_instance_name"],
		StorageRoot: kv["lamindb_instance_storage_root"], ID: kv["lamindb_instance_id"],
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

// Find looks an instance up by "owner/name" or bare name (the acting user's first,
// then any owner's).
func (s Settings) Find(name string) (InstanceSettings, error) {
	owner, bare, ok := strings.Cut(name, "/")
	if !ok {
		bare = name
		u, _ := s.User()
		owner = u.Handle
	}
	if kv, err := readEnv(s.instanceFile(owner, bare)); err == nil {
		return parseInstance(kv), nil
	}
	if !ok {
		matches, _ := filepath.Glob(s.path("instance--*--" + bare + ".env"))
		sort.Strings(matches)
		if len(matches) > 0 {
			if kv, err := readEnv(matches[0]); err == nil {
				return parseInstance(kv), nil
			}
		}
	}
	return InstanceSettings{}, withHint(errorf(ErrNoInstance, "instance %s not found", name),
		"list known instances in "+s.Dir+", or create one with `lamin init --storage DIR`")
}

func (s Settings) removeInstance(is InstanceSettings) error {
	if cur, err := s.Current(); err == nil && cur.Slug() == is.Slug() {
		_ = s.Disconnect()
	}
	err := os.Remove(s.instanceFile(is.Owner, is.Name))
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
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	kv := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "null" {
			v = ""
		}
		kv[strings.TrimSpace(k)] = v
	}
	return kv, sc.Err()
}

func writeEnv(path string, kv [][2]string) error {
	var b strings.Builder
	for _, p := range kv {
		fmt.Fprintf(&b, "%s=%s\n", p[0], p[1])
	}
	return writeFileAtomic(path, []byte(b.String()))
}

// writeFileAtomic writes via a temporary file and a rename, so a crash never
// leaves a half-written settings file.
func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
