package lamindb_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	ln "github.com/lamindb-go/lamindb"
)

func TestTruncationWarningOnlyForDefaultLimit(t *testing.T) {
	e := newEnv(t)
	var items []ln.SaveItem
	for i := 0; i < 21; i++ {
		items = append(items, ln.SaveItem{Path: e.file(fmt.Sprintf("f%02d.txt", i), fmt.Sprint(i)), SaveOptions: ln.SaveOptions{Key: fmt.Sprintf("f%02d.txt", i)}})
	}
	if _, err := e.in.SaveMany(e.ctx, items); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		limit int
		rows  int
		warn  bool
	}{
		{"default limit", ln.DefaultLimit, 20, true},
		{"explicit limit", 7, 7, false},
		{"no limit", 0, 21, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.msgs.reset()
			res, err := e.in.Artifacts().Limit(tc.limit).List(e.ctx)
			if err != nil || len(res.Records) != tc.rows {
				t.Fatalf("%d rows, %v", len(res.Records), err)
			}
			if got := e.msgs.has("! truncated query result to limit=20 Artifact objects"); got != tc.warn {
				t.Errorf("warning=%v, want %v", got, tc.warn)
			}
		})
	}
	// Newest first by default.
	res := must(e.in.Artifacts().Limit(1).List(e.ctx))(t)
	if res.Records[0].Get("key") != "f20.txt" {
		t.Errorf("first row %v", res.Records[0].Get("key"))
	}
}

func TestGetAsymmetry(t *testing.T) {
	e := newEnv(t)
	v1 := e.save(e.file("a.txt", "1"), ln.SaveOptions{Key: "a.txt"})
	v2 := e.save(e.file("b.txt", "2"), ln.SaveOptions{Key: "a.txt"})
	for _, u := range []string{v2.UID, v1.UID} {
		if _, err := e.in.Artifacts().UID(u).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// By key: main only, so not found; by uid and by stem: any branch.
	if _, err := e.in.Artifacts().Filter("key", "a.txt").Get(e.ctx); !errors.Is(err, ln.ErrNotFound) {
		t.Errorf("get by key of trashed: %v", err)
	}
	if r, err := e.in.Artifacts().UID(v1.UID).Get(e.ctx); err != nil || r.UID() != v1.UID {
		t.Errorf("get by uid: %v", err)
	}
	r, err := e.in.Artifacts().UID(v1.UID[:16]).Get(e.ctx)
	if err != nil || r.Get("branch_id") != int64(-1) {
		t.Errorf("get by stem of an all-trashed family: %v %v", r, err)
	}
	// Addressing by key reaches the trash (as lamin-cli's delete --key does).
	if r, err := e.in.Artifacts().Key("a.txt").Get(e.ctx); err != nil || r.UID() != v2.UID {
		t.Errorf("Key() addressing: %v", err)
	}
	_, err = e.in.Artifacts().UID("0000000000000000ZZZZ").Get(e.ctx)
	if !errors.Is(err, ln.ErrNotFound) || !strings.Contains(err.Error(), "No record found with uid '0000000000000000ZZZZ'. Did you forget a keyword as in Artifact.get(key=") {
		t.Errorf("unknown uid: %v", err)
	}
}

func TestCollectionVersions(t *testing.T) {
	e := newEnv(t)
	a := e.save(e.file("a.txt", "a"), ln.SaveOptions{Key: "a.txt"})
	b := e.save(e.file("b.txt", "b"), ln.SaveOptions{Key: "b.txt"})
	c1, err := e.in.CreateCollection(e.ctx, ln.CollectionOptions{Key: "coll", Artifacts: []string{a.UID}})
	if err != nil {
		t.Fatal(err)
	}
	c2 := must(e.in.CreateCollection(e.ctx, ln.CollectionOptions{Key: "coll", Artifacts: []string{a.UID, b.UID}}))(t)
	c3 := must(e.in.CreateCollection(e.ctx, ln.CollectionOptions{Key: "coll", Artifacts: []string{b.UID}}))(t)
	if c2.UID()[:16] != c1.UID()[:16] || c2.UID()[16:] != "0001" || c3.UID()[16:] != "0002" {
		t.Fatalf("versions %s %s %s", c1.UID(), c2.UID(), c3.UID())
	}
	members := must(e.in.CollectionArtifacts(e.ctx, c2.UID()))(t)
	if strings.Join(members, ",") != a.UID+","+b.UID {
		t.Errorf("members %v", members)
	}
	// Same members, same key: the existing collection; from the trash, restored.
	again := must(e.in.CreateCollection(e.ctx, ln.CollectionOptions{Key: "coll", Artifacts: []string{a.UID, b.UID}}))(t)
	if again.UID() != c2.UID() {
		t.Errorf("dedup gave %s", again.UID())
	}
	e.in.Records("collection").UID(c2.UID()).Delete(e.ctx, ln.DeleteOptions{})
	back := must(e.in.CreateCollection(e.ctx, ln.CollectionOptions{Key: "coll", Artifacts: []string{a.UID, b.UID}}))(t)
	if back.UID() != c2.UID() || back.Get("branch_id") != int64(1) {
		t.Errorf("implicit restore of a collection: %v", back)
	}
}
