package lamindb_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/internal/testbackend"
)

func TestSaveBadInput(t *testing.T) {
	e := newEnv(t)
	csv := e.file("data.csv", "a\n1\n")
	for _, tc := range []struct {
		name  string
		path  string
		opts  ln.SaveOptions
		class error
		msg   string
	}{
		{"missing path", filepath.Join(e.dir, "nope.csv"), ln.SaveOptions{Description: "x"}, ln.ErrNotFound, "does not exist"},
		{"dotdot key", csv, ln.SaveOptions{Key: "a/../data.csv"}, ln.ErrInvalid, "'..'"},
		{"backslash key", csv, ln.SaveOptions{Key: `a\data.csv`}, ln.ErrInvalid, "backslash"},
		{"managed key", csv, ln.SaveOptions{Key: ".lamindb/data.csv"}, ln.ErrInvalid, "managed storage path"},
		{"suffix mismatch", csv, ln.SaveOptions{Key: "data.parquet"}, ln.ErrInvalid, "must match the passed key's suffix"},
		{"no key or description", csv, ln.SaveOptions{}, ln.ErrInvalid, "Pass one of key, run or description"},
		{"corrupt csv", e.file("bad.csv", "a,b\n1,2\n3\n"), ln.SaveOptions{Description: "x", Dataframe: true}, ln.ErrInvalid, "line 3"},
		{"corrupt parquet", e.file("bad.parquet", "not parquet at all"), ln.SaveOptions{Description: "x", Dataframe: true}, ln.ErrInvalid, "table"},
		{"unknown revises", csv, ln.SaveOptions{Revises: "0000000000000000ZZZZ"}, ln.ErrNotFound, "No record found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.in.Save(e.ctx, tc.path, tc.opts)
			if !errors.Is(err, tc.class) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Save()=%v, want %v containing %q", err, tc.class, tc.msg)
			}
		})
	}
	if n := e.count(ln.AllBranches); n != 0 {
		t.Errorf("bad input left %d rows", n)
	}
	if f := e.managedFiles(); len(f) != 0 {
		t.Errorf("bad input left files %v", f)
	}
}

func TestSaveDedup(t *testing.T) {
	e := newEnv(t)
	a := e.save(e.file("one.txt", "same"), ln.SaveOptions{Key: "one.txt"})
	e.msgs.reset()
	b := e.save(e.file("two.txt", "same"), ln.SaveOptions{Key: "other.txt"})
	if b.UID != a.UID {
		t.Fatalf("same content gave a new artifact %s, want %s", b.UID, a.UID)
	}
	if !e.msgs.has("→ returning artifact with same hash: Artifact(uid='"+a.UID) ||
		!e.msgs.has("! key one.txt on existing artifact differs from passed key other.txt, keeping original key") {
		t.Errorf("messages: %v", e.msgs.lines)
	}
	// Empty files never deduplicate (spec §3.4). lamindb's unique index on
	// (storage, hash) for rows without key leaves one slot for the empty
	// hash: the second takes its own uid as hash (docs/differences.md).
	x := e.save(e.file("e1", ""), ln.SaveOptions{Description: "empty 1"})
	y := e.save(e.file("e2", ""), ln.SaveOptions{Description: "empty 2"})
	if x.UID == y.UID || *x.Hash != "1B2M2Y8AsgTpgAmY7PhCfg" || *y.Hash != y.UID || *y.HashType != "uid" {
		t.Errorf("empty files: %s %s", x, y)
	}
	// With keys of their own, both keep lamindb's hash.
	k1 := e.save(e.file("k1", ""), ln.SaveOptions{Key: "empty/k1"})
	k2 := e.save(e.file("k2", ""), ln.SaveOptions{Key: "empty/k2"})
	if k1.UID == k2.UID || *k1.Hash != "1B2M2Y8AsgTpgAmY7PhCfg" || *k2.Hash != *k1.Hash {
		t.Errorf("empty files with keys: %s %s", k1, k2)
	}
	// SkipHashLookup makes a new artifact under another key.
	z := e.save(e.file("three.txt", "same"), ln.SaveOptions{Key: "third.txt", SkipHashLookup: true})
	if z.UID == a.UID {
		t.Errorf("SkipHashLookup returned the existing artifact")
	}
	// Trashed content is not found by the hash lookup: a new artifact under another key.
	if _, err := e.in.Artifacts().UID(z.UID).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Same content, same key as a trashed artifact: it comes back from the trash, persisted.
	e.msgs.reset()
	back := e.save(e.file("five.txt", "same"), ln.SaveOptions{Key: "third.txt"})
	if back.UID != z.UID || back.BranchID != 1 || e.get(z.UID).Get("branch_id") != int64(1) {
		t.Errorf("implicit restore: got %s", back)
	}
	if !e.msgs.has("! returning artifact from trash with same hash & key: Artifact(uid='" + z.UID) {
		t.Errorf("messages: %v", e.msgs.lines)
	}
	// With another key, content equal to trashed artifacts is a new artifact.
	if _, err := e.in.Artifacts().UID(z.UID).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	w := e.save(e.file("four.txt", "same"), ln.SaveOptions{Key: "fourth.txt"})
	if w.UID == a.UID || w.UID == z.UID || w.BranchID != 1 {
		t.Errorf("content equal to trashed artifacts under a new key: %s", w)
	}
}

func TestSaveNoFalseDedup(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 2 × 101 MiB")
	}
	e := newEnv(t)
	mk := func(name string, mid byte) string {
		b := bytes.Repeat([]byte{7}, 101<<20)
		b[len(b)/2] = mid
		p := filepath.Join(e.dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := e.save(mk("a.bin", 1), ln.SaveOptions{Description: "a"})
	b := e.save(mk("b.bin", 2), ln.SaveOptions{Description: "b"})
	// The second keeps clear of lamindb's unique (storage, hash) with its
	// SHA-256 as hash (DESIGN, deliberate differences).
	if *a.HashType != "sha1-fl" || *b.HashType != "sha256" || *a.Hash == *b.Hash || len(*b.Hash) != 22 {
		t.Fatalf("want the first sha1-fl, the second sha256: %s / %s", a, b)
	}
	if a.UID == b.UID {
		t.Fatal("different content deduplicated on a colliding sha1-fl hash")
	}
	// Saving the second's content again finds it.
	again := e.save(filepath.Join(e.dir, "b.bin"), ln.SaveOptions{Description: "b"})
	if again.UID != b.UID {
		t.Errorf("the same content saved again: %s, want %s", again.UID, b.UID)
	}
}

func TestSaveVersions(t *testing.T) {
	e := newEnv(t)
	v1 := e.save(e.file("v1.csv", "a\n1\n"), ln.SaveOptions{Key: "raw/data.csv"})
	e.msgs.reset()
	v2 := e.save(e.file("v2.csv", "a\n2\n"), ln.SaveOptions{Key: "raw/data.csv"})
	v3 := e.save(e.file("v3.csv", "a\n3\n"), ln.SaveOptions{Revises: v2.UID, Description: "third"})
	if v2.UID[:16] != v1.UID[:16] || v2.UID[16:] != "0001" || v3.UID[16:] != "0002" || *v3.Key != "raw/data.csv" {
		t.Fatalf("versions: %s %s %s", v1.UID, v2.UID, v3.UID)
	}
	if !e.msgs.has("→ creating new artifact version for key 'raw/data.csv' in storage '") {
		t.Errorf("messages: %v", e.msgs.lines)
	}
	latest := func(uid string) bool { return e.get(uid).Get("is_latest") == true }
	if latest(v1.UID) || latest(v2.UID) || !latest(v3.UID) {
		t.Fatal("exactly the newest version must be latest")
	}
	// The stem addresses the latest version; get by key too.
	if r := must(e.in.Artifacts().UID(v1.UID[:16]).Get(e.ctx))(t); r.UID() != v3.UID {
		t.Errorf("stem gave %s", r.UID())
	}
	if r := must(e.in.Artifacts().Filter("key", "raw/data.csv").Get(e.ctx))(t); r.UID() != v3.UID {
		t.Errorf("get by key gave %s", r.UID())
	}
	// Trashing the head promotes the newest remaining version on main.
	e.msgs.reset()
	if _, err := e.in.Artifacts().UID(v3.UID).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !latest(v2.UID) || latest(v3.UID) || !e.msgs.has("• new latest Artifact version is: "+v2.UID) {
		t.Fatalf("promotion after trash; messages %v", e.msgs.lines)
	}
	// Restore does not repair is_latest (spec §1.4).
	if _, err := e.in.Artifacts().UID(v3.UID).Restore(e.ctx, ln.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if latest(v3.UID) || !latest(v2.UID) {
		t.Error("restore changed is_latest")
	}
	// Purging the head promotes too; the last version keeps is_latest when trashed.
	if _, err := e.in.Artifacts().UID(v2.UID).Delete(e.ctx, ln.DeleteOptions{Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if !latest(v3.UID) {
		t.Error("purging the head did not promote the newest remaining version")
	}
	// A new version after more versions: base-62 increment over the whole family.
	v4 := e.save(e.file("v4.csv", "a\n4\n"), ln.SaveOptions{Key: "raw/data.csv"})
	if v4.UID[16:] != "0003" {
		t.Errorf("v4 uid %s", v4.UID)
	}
}

func TestSaveFolderAndInPlace(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.dir, "folder")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	for name, c := range map[string]string{"a.txt": "0", "b.txt": "0", "sub/c.txt": "1"} {
		os.WriteFile(filepath.Join(dir, name), []byte(c), 0o644)
	}
	f := e.save(dir, ln.SaveOptions{Key: "my_folder"})
	if *f.Hash != "iGtHiFEBV3r1_TFovdQCgw" || *f.HashType != "md5-d" || *f.NFiles != 3 || *f.Size != 3 {
		t.Fatalf("folder: %s", f)
	}
	if !e.files.Exists(".lamindb/" + f.UID[:16] + "/sub/c.txt") {
		t.Errorf("folder store: no sub/c.txt")
	}
	// Unknown suffix → "" and no extension in the store.
	x := e.save(e.file("test.xyz", "xyz"), ln.SaveOptions{Description: "unknown suffix"})
	if x.Suffix != "" {
		t.Errorf("suffix %q", x.Suffix)
	}
	if !e.files.Exists(".lamindb/" + x.UID) {
		t.Errorf("store without suffix: no %s", x.UID)
	}
	// A file already inside the storage root is registered in place (an
	// object already in the bucket: save_s3_test.go).
	if testbackend.S3() {
		return
	}
	inside := filepath.Join(e.root, "raw", "in.csv")
	os.MkdirAll(filepath.Dir(inside), 0o755)
	os.WriteFile(inside, []byte("a\n9\n"), 0o644)
	p := e.save(inside, ln.SaveOptions{})
	if p.Key == nil || *p.Key != "raw/in.csv" || p.KeyIsVirtual || p.StorageKey() != "raw/in.csv" {
		t.Fatalf("in place: %s (storage key %s)", p, p.StorageKey())
	}
	path, err := e.in.Path(e.ctx, p)
	if err != nil || path != inside {
		t.Errorf("Path()=%s %v, want %s", path, err, inside)
	}
	// Purging it asks about the real file; declining keeps it.
	var asked []string
	_, err = e.in.Artifacts().UID(p.UID).Delete(e.ctx, ln.DeleteOptions{Permanent: true, Confirm: func(q string) bool { asked = append(asked, q); return false }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(inside); err != nil {
		t.Errorf("real file deleted without consent: %v", err)
	}
	if !e.msgs.has("→ a file/folder remains here: " + inside) {
		t.Errorf("messages %v", e.msgs.lines)
	}
	// With --permanent the question is not asked and the file is kept.
	if len(asked) != 0 {
		t.Errorf("asked %v", asked)
	}
}

func TestSaveMany(t *testing.T) {
	e := newEnv(t)
	var items []ln.SaveItem
	for i := 0; i < 5; i++ {
		items = append(items, ln.SaveItem{Path: e.file(filepath.Join("many", string(rune('a'+i))+".txt"), strings.Repeat("x", i+1)),
			SaveOptions: ln.SaveOptions{Key: "many/" + string(rune('a'+i)) + ".txt"}})
	}
	arts, err := e.in.SaveMany(e.ctx, items)
	if err != nil || len(arts) != 5 {
		t.Fatalf("SaveMany: %v", err)
	}
	if n := e.count(ln.DefaultBranch); n != 5 {
		t.Errorf("%d rows", n)
	}
	if f := e.managedFiles(); len(f) != 5 {
		t.Errorf("%d files", len(f))
	}
}
