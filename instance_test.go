package lamindb_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/internal/testbackend"
)

func TestInit(t *testing.T) {
	e := newEnv(t)
	marker := e.files.Read(".lamindb/storage_uid.txt")
	for _, want := range []string{"creation info:", "instance_slug=anonymous/test-delete",
		"instance_id=596e0621240c5129b0430f15f441fc0c", "instance_uid=5qkTiyJvjEZv"} {
		if !strings.Contains(string(marker), want) {
			t.Errorf("marker lacks %q:\n%s", want, marker)
		}
	}
	if e.in.UID() != "5qkTiyJvjEZv" || e.in.ID() != "596e0621240c5129b0430f15f441fc0c" {
		t.Errorf("instance uid %s id %s", e.in.UID(), e.in.ID())
	}
	for _, f := range []string{"current_instance.env", "instance--anonymous--test-delete.env"} {
		if _, err := os.Stat(filepath.Join(e.dir, "settings", f)); err != nil {
			t.Errorf("settings file %s: %v", f, err)
		}
	}
	if !e.msgs.has("! using anonymous user (to identify, call: lamin login)") {
		t.Errorf("messages %v", e.msgs.lines)
	}
	// The seed rows.
	for _, tc := range []struct {
		registry, uid, field string
		want                 any
	}{
		{"branch", "tttttttttttt", "name", "trash"},
		{"branch", "aaaaaaaaaaaa", "name", "archive"},
		{"branch", "mmmmmmmmmmmm", "name", "main"},
		{"space", "aaaaaaaaaaaa", "name", "all"},
		{"user", "00000000", "handle", "anonymous"},
		{"storage", e.in.DefaultStorage().UID, "instance_uid", "5qkTiyJvjEZv"},
		{"storage", e.in.DefaultStorage().UID, "type", map[bool]string{false: "local", true: "s3"}[testbackend.S3()]},
		{"storage", e.in.DefaultStorage().UID, "root", filepath.ToSlash(e.root)},
	} {
		t.Run(tc.registry+"/"+tc.field, func(t *testing.T) {
			r, err := e.in.Records(tc.registry).UID(tc.uid).Get(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Get(tc.field); got != tc.want {
				t.Errorf("%s=%v, want %v", tc.field, got, tc.want)
			}
		})
	}
	ids := map[int64]string{}
	res := must(e.in.Records("branch").Branch(ln.AllBranches).Limit(0).List(e.ctx))(t)
	for _, r := range res.Records {
		ids[r.ID()] = r.Get("name").(string)
	}
	if ids[-1] != "trash" || ids[0] != "archive" || ids[1] != "main" {
		t.Errorf("branch ids %v", ids)
	}
}

func TestInstanceErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	settings2 := ln.Options{Settings: ln.Settings{Dir: filepath.Join(e.dir, "settings2")}}
	for _, tc := range []struct {
		name  string
		run   func() error
		class error
		msg   string
	}{
		{"root managed by another instance", func() error {
			_, err := ln.Init(ctx, ln.InitOptions{Options: e.opts, Storage: e.root, Name: "other"})
			return err
		}, ln.ErrAlreadyManaged, "already managed by instance anonymous/test-delete"},
		{"root inside .lamindb", func() error {
			_, err := ln.Init(ctx, ln.InitOptions{Options: e.opts, Storage: e.files.Join(".lamindb/x")})
			return err
		}, ln.ErrInvalid, `does not end or contain ".lamindb"`},
		{"slash in name", func() error {
			_, err := ln.Init(ctx, ln.InitOptions{Options: e.opts, Storage: filepath.Join(e.dir, "x"), Name: "a/b"})
			return err
		}, ln.ErrInvalid, "no '/'"},
		{"open unknown", func() error { _, err := ln.Open(ctx, "nosuch", e.opts); return err }, ln.ErrNoInstance, "not found"},
		{"none connected", func() error { _, err := ln.Open(ctx, "", settings2); return err }, ln.ErrNoInstance, "no instance connected"},
		{"delete unknown", func() error {
			_, err := ln.DeleteInstance(ctx, "nosuch", ln.DeleteInstanceOptions{Options: e.opts, Force: true})
			return err
		}, ln.ErrNotFound, "not found"},
		{"delete without confirmation", func() error {
			_, err := ln.DeleteInstance(ctx, "test-delete", ln.DeleteInstanceOptions{Options: e.opts})
			return err
		}, ln.ErrCancelled, "needs a confirmation"},
		{"delete declined", func() error {
			_, err := ln.DeleteInstance(ctx, "test-delete", ln.DeleteInstanceOptions{Options: e.opts, Confirm: no})
			return err
		}, ln.ErrCancelled, "cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if !errors.Is(err, tc.class) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %v containing %q", err, tc.class, tc.msg)
			}
		})
	}
	if !e.files.Exists(".lamindb/lamin.db") && sqliteBackend() {
		t.Fatal("a refused operation removed the database")
	}
}

func TestDeleteInstanceRefusedWhileNotEmpty(t *testing.T) {
	e := newEnv(t)
	a := e.save(e.file("a.txt", "a"), ln.SaveOptions{Key: "a.txt"})
	// A real-path file outside .lamindb/ does not block.
	e.files.Write("notes.txt", "mine")
	e.in.Close()
	_, err := ln.DeleteInstance(e.ctx, "test-delete", ln.DeleteInstanceOptions{Options: e.opts, Force: true})
	want := "'" + e.files.Join(".lamindb") + "' contains 1 objects:\n" + e.files.Join(".lamindb/"+a.UID+".txt") +
		"\ndelete them prior to deleting the storage location"
	if !errors.Is(err, ln.ErrNotEmpty) || ln.ExitCode(err) != ln.ExitRefused || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	e.files.Remove(".lamindb/" + a.UID + ".txt")
	if _, err := ln.DeleteInstance(e.ctx, "test-delete", ln.DeleteInstanceOptions{Options: e.opts, Confirm: func(p string) bool {
		return p == "Are you sure you want to delete instance anonymous/test-delete? (y/n) "
	}}); err != nil {
		t.Fatal(err)
	}
	if e.files.Exists(".lamindb") {
		t.Error(".lamindb remains")
	}
	if !e.files.Exists("notes.txt") {
		t.Error("a user file outside .lamindb was removed")
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "settings", "deleted-instances.log"))
	if !strings.Contains(string(log), "anonymous/test-delete") {
		t.Errorf("instance deletion not logged: %q", log)
	}
}

func TestLoginAndConnect(t *testing.T) {
	dir := t.TempDir()
	s := ln.Settings{Dir: filepath.Join(dir, "settings")}
	u, err := s.Login("testuser1")
	if err != nil || len(u.UID) != 8 {
		t.Fatalf("login %+v %v", u, err)
	}
	if u2 := must(s.Login("testuser1"))(t); u2.UID != u.UID {
		t.Error("a handle must always get the same uid")
	}
	ctx := context.Background()
	opts := ln.Options{Settings: s}
	for _, n := range []string{"one", "two"} {
		in, err := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: testbackend.Root(t, dir, n), DB: testDB(t)})
		if err != nil {
			t.Fatal(err)
		}
		if in.Slug() != "testuser1/"+n || in.User().Handle != "testuser1" || in.User().UID != u.UID {
			t.Errorf("instance %s user %+v", in.Slug(), in.User())
		}
		in.Close()
	}
	cur := must(s.Current())(t)
	if cur.Name != "two" {
		t.Errorf("current %s, want two (the last init)", cur.Slug())
	}
	in, err := ln.Connect(ctx, "testuser1/one", opts)
	if err != nil {
		t.Fatal(err)
	}
	in.Close()
	if cur := must(s.Current())(t); cur.Name != "one" {
		t.Errorf("current %s after connect", cur.Slug())
	}
	t.Setenv("LAMIN_CURRENT_INSTANCE", "two")
	in, err = ln.Open(ctx, "", opts)
	if err != nil || in.Slug() != "testuser1/two" {
		t.Fatalf("LAMIN_CURRENT_INSTANCE: %v", err)
	}
	in.Close()
	if err := s.Logout(); err != nil {
		t.Fatal(err)
	}
	if u, ok := s.User(); ok || u.Handle != "anonymous" {
		t.Errorf("after logout: %+v", u)
	}
}

// A failed init removes everything it created.
func TestInitRollsBack(t *testing.T) {
	dir := t.TempDir()
	notADir := filepath.Join(dir, "settings-file")
	os.WriteFile(notADir, []byte("x"), 0o644)
	root := filepath.Join(dir, "new", "root")
	_, err := ln.Init(context.Background(), ln.InitOptions{Options: ln.Options{Settings: ln.Settings{Dir: notADir}}, Storage: root})
	if err == nil {
		t.Fatal("Init with an unusable settings folder succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed init left %s behind: %v", filepath.Join(dir, "new"), err)
	}
}
