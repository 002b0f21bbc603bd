package lamindb_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/table"
)

// TestSeed2025 follows lamindb's FAQ "How to delete records?" (2025) step by step.
func TestSeed2025(t *testing.T) {
	e := newEnv(t)
	if !e.msgs.has("→ initialized lamindb: anonymous/test-delete") {
		t.Errorf("no init message in %v", e.msgs.lines)
	}
	tbl, err := table.FromColumns([]string{"a", "b"}, []int64{1, 2}, []int64{3, 4})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	a, err := e.in.SaveTable(e.ctx, tbl, ln.SaveOptions{Description: "mydf"})
	if err != nil {
		t.Fatal(err)
	}
	if !e.msgs.has("! no run & transform got linked, call `ln.track()` & re-run") {
		t.Errorf("missing run warning")
	}
	if len(a.UID) != 20 || a.UID[16:] != "0000" || a.Suffix != ".parquet" || *a.Kind != "dataset" || *a.Otype != "DataFrame" ||
		*a.NObservations != 2 || a.BranchID != 1 || !a.IsLatest || a.Key != nil || *a.HashType != "md5" {
		t.Fatalf("saved artifact = %s", a)
	}
	stored := ".lamindb/" + a.UID + ".parquet"
	if !e.files.Exists(stored) {
		t.Fatalf("bytes not at %s", e.files.Join(stored))
	}
	if e.count(ln.DefaultBranch) != 1 {
		t.Fatal("artifact not listed")
	}
	// Trash.
	e.msgs.reset()
	if _, err := e.in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !e.msgs.has("! moved record to trash (branch_id = -1): Artifact(uid='"+a.UID+"'") || !e.msgs.has("branch_id=-1") {
		t.Errorf("trash message: %v", e.msgs.lines)
	}
	if !e.files.Exists(stored) {
		t.Errorf("trash removed the bytes")
	}
	if n := e.count(ln.DefaultBranch); n != 0 {
		t.Errorf("default list after trash has %d rows", n)
	}
	for _, b := range []ln.Branch{ln.AllBranches, ln.TrashBranch} {
		if n := e.count(b); n != 1 {
			t.Errorf("%v list after trash has %d rows, want 1", b, n)
		}
	}
	if got := e.get(a.UID).Get("branch_id"); got != int64(-1) {
		t.Errorf("branch_id=%v, want -1", got)
	}
	// Restore.
	if _, err := e.in.Artifacts().UID(a.UID).Restore(e.ctx, ln.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if e.count(ln.DefaultBranch) != 1 {
		t.Fatal("restore did not bring the artifact back")
	}
	loaded, err := e.in.LoadTable(e.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.NumRows() != 2 || loaded.NumCols() != 2 {
		t.Errorf("loaded %dx%d table", loaded.NumRows(), loaded.NumCols())
	}
	loaded.Release()
	// A record batch saves the same bytes as the table: the same artifact.
	tr := array.NewTableReader(tbl, 0)
	tr.Next()
	same, err := e.in.SaveRecord(e.ctx, tr.RecordBatch(), ln.SaveOptions{Description: "mydf"})
	tr.Release()
	if err != nil || same.UID != a.UID {
		t.Errorf("SaveRecord: %v, %v", same, err)
	}
	// Permanent delete: no prompt, the managed file goes.
	if _, err := e.in.Artifacts().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if n := e.count(ln.AllBranches); n != 0 {
		t.Errorf("%d rows after permanent delete", n)
	}
	if files := e.managedFiles(); len(files) != 0 {
		t.Errorf("managed files left: %v", files)
	}
	e.in.Close()
	if _, err := ln.DeleteInstance(e.ctx, "test-delete", ln.DeleteInstanceOptions{Options: e.opts, Force: true}); err != nil {
		t.Fatal(err)
	}
	if !e.files.Gone() {
		t.Errorf("storage root still there: %v", e.files.List(".lamindb"))
	}
	if _, err := os.Stat(filepath.Join(e.dir, "settings", "instance--anonymous--test-delete.env")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("instance settings file still there")
	}
}

// TestSeed2023 follows the 2023 FAQ: File and Dataset registries, visibility,
// and a permanent delete confirmed at the prompt.
func TestSeed2023(t *testing.T) {
	e := newEnv(t)
	a := e.save(e.file("df.csv", "a,b\n1,3\n2,4\n"), ln.SaveOptions{Description: "mydf", Dataframe: true})
	files := func() *ln.Query { return e.in.Records("file") }
	if n := must(files().Count(e.ctx))(t); n != 1 {
		t.Fatalf("File.filter() = %d rows", n)
	}
	if _, err := files().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := must(files().Count(e.ctx))(t); n != 0 {
		t.Errorf("trashed file visible")
	}
	none, err := ln.ParseBranch("none")
	if err != nil {
		t.Fatal(err)
	}
	res, err := files().Branch(none).List(e.ctx)
	if err != nil || len(res.Records) != 1 || res.Records[0].Get("branch_id") != int64(-1) {
		t.Fatalf("visibility=None: %v %v", res, err)
	}
	if _, err := files().UID(a.UID).Restore(e.ctx, ln.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := files().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var asked string
	_, err = files().UID(a.UID).Delete(e.ctx, ln.DeleteOptions{Confirm: func(p string) bool { asked = p; return true }})
	if err != nil {
		t.Fatal(err)
	}
	want := "Artifact " + a.UID + " is already in trash! Are you sure you want to delete it from your database? You can't undo this action. (y/n) "
	if asked != want {
		t.Errorf("prompt=%q, want %q", asked, want)
	}
	if n := e.count(ln.AllBranches); n != 0 {
		t.Errorf("%d rows left", n)
	}
}
