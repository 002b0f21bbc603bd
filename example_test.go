package lamindb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	ln "github.com/lamindb-go/lamindb"
	"github.com/lamindb-go/lamindb/table"
)

// exampleDir gives each example a scratch folder with its own settings.
func exampleDir() (string, ln.Options, func()) {
	dir, _ := os.MkdirTemp("", "lamindb-example-")
	os.Setenv("LAMIN_CACHE_DIR", filepath.Join(dir, "cache"))
	return dir, ln.Options{Settings: ln.Settings{Dir: filepath.Join(dir, "settings")}}, func() { os.RemoveAll(dir) }
}

// Init creates an instance; its uid derives from owner and name.
func ExampleInit() {
	dir, opts, done := exampleDir()
	defer done()
	inst, err := ln.Init(context.Background(), ln.InitOptions{Options: opts, Storage: filepath.Join(dir, "test-delete")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer inst.Close()
	fmt.Println(inst.Slug(), inst.UID())
	// Output: anonymous/test-delete 5qkTiyJvjEZv
}

// Save registers a file; the same content again returns the same artifact.
func ExampleInstance_Save() {
	dir, opts, done := exampleDir()
	defer done()
	ctx := context.Background()
	inst, _ := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: filepath.Join(dir, "data")})
	defer inst.Close()
	src := filepath.Join(dir, "sample.csv")
	os.WriteFile(src, []byte("a,b\n1,3\n2,4\n"), 0o644)
	art, _ := inst.Save(ctx, src, ln.SaveOptions{Key: "raw/sample.csv"})
	again, _ := inst.Save(ctx, src, ln.SaveOptions{Key: "raw/sample.csv"})
	fmt.Println(*art.Key, art.Suffix, *art.Size, *art.HashType, again.UID == art.UID)
	// Output: raw/sample.csv .csv 12 md5 true
}

// SaveTable stores an Arrow table as Parquet, with otype, kind and n_observations.
func ExampleInstance_SaveTable() {
	dir, opts, done := exampleDir()
	defer done()
	ctx := context.Background()
	inst, _ := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: filepath.Join(dir, "data")})
	defer inst.Close()
	tbl, _ := table.FromColumns([]string{"a", "b"}, []int64{1, 2}, []int64{3, 4})
	defer tbl.Release()
	art, _ := inst.SaveTable(ctx, tbl, ln.SaveOptions{Description: "mydf"})
	fmt.Println(art.Suffix, *art.Otype, *art.Kind, *art.NObservations)
	// Output: .parquet DataFrame dataset 2
}

// SaveMany inserts all rows in one transaction, then writes the bytes.
func ExampleInstance_SaveMany() {
	dir, opts, done := exampleDir()
	defer done()
	ctx := context.Background()
	inst, _ := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: filepath.Join(dir, "data")})
	defer inst.Close()
	var items []ln.SaveItem
	for i := 0; i < 3; i++ {
		p := filepath.Join(dir, fmt.Sprintf("f%d.txt", i))
		os.WriteFile(p, []byte(fmt.Sprint(i)), 0o644)
		items = append(items, ln.SaveItem{Path: p, SaveOptions: ln.SaveOptions{Key: fmt.Sprintf("batch/f%d.txt", i)}})
	}
	arts, _ := inst.SaveMany(ctx, items)
	n, _ := inst.Artifacts().Filter("key__startswith", "batch/").Count(ctx)
	fmt.Println(len(arts), n)
	// Output: 3 3
}

// The lifecycle: trash, restore, then a permanent delete, with a dry run first.
func ExampleQuery_Delete() {
	dir, opts, done := exampleDir()
	defer done()
	ctx := context.Background()
	inst, _ := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: filepath.Join(dir, "data")})
	defer inst.Close()
	src := filepath.Join(dir, "x.txt")
	os.WriteFile(src, []byte("x"), 0o644)
	art, _ := inst.Save(ctx, src, ln.SaveOptions{Key: "x.txt"})

	inst.Artifacts().UID(art.UID).Delete(ctx, ln.DeleteOptions{}) // first delete: trash
	visible, _ := inst.Artifacts().Count(ctx)
	trashed, _ := inst.Artifacts().Branch(ln.TrashBranch).Count(ctx)
	fmt.Println("visible", visible, "trashed", trashed)

	inst.Artifacts().UID(art.UID).Restore(ctx, ln.RestoreOptions{})
	visible, _ = inst.Artifacts().Count(ctx)
	fmt.Println("restored, visible", visible)

	plan, _ := inst.Artifacts().UID(art.UID).Delete(ctx, ln.DeleteOptions{Permanent: true, DryRun: true})
	fmt.Println("dry run:", plan.Files[0].Action, plan.Bytes, "bytes")
	inst.Artifacts().UID(art.UID).Delete(ctx, ln.DeleteOptions{Permanent: true})
	all, _ := inst.Artifacts().Branch(ln.AllBranches).Count(ctx)
	fmt.Println("after purge", all)
	// Output:
	// visible 0 trashed 1
	// restored, visible 1
	// dry run: delete 1 bytes
	// after purge 0
}

// Queries take Django-style lookups and traverse foreign keys.
func ExampleQuery_Filter() {
	dir, opts, done := exampleDir()
	defer done()
	ctx := context.Background()
	inst, _ := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: filepath.Join(dir, "data")})
	defer inst.Close()
	for _, k := range []string{"raw/a.txt", "raw/b.txt", "processed/c.txt"} {
		p := filepath.Join(dir, filepath.Base(k))
		os.WriteFile(p, []byte(k), 0o644)
		inst.Save(ctx, p, ln.SaveOptions{Key: k})
	}
	res, _ := inst.Artifacts().Filter("key__startswith", "raw/").Filter("created_by__handle", "anonymous").Order("key").List(ctx)
	for _, r := range res.Records {
		fmt.Println(r.Get("key"))
	}
	// Output:
	// raw/a.txt
	// raw/b.txt
}

// Open opens an instance by name (or the connected one with ""); Get finds one
// record by uid on any branch, or by key on main.
func ExampleOpen() {
	dir, opts, done := exampleDir()
	defer done()
	ctx := context.Background()
	inst, _ := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: filepath.Join(dir, "my-data")})
	src := filepath.Join(dir, "notes.txt")
	os.WriteFile(src, []byte("hello"), 0o644)
	art, _ := inst.Save(ctx, src, ln.SaveOptions{Key: "notes.txt"})
	inst.Close()

	again, err := ln.Open(ctx, "my-data", opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer again.Close()
	byUID, _ := again.Artifacts().UID(art.UID).Get(ctx)
	byKey, _ := again.Artifacts().Filter("key", "notes.txt").Get(ctx)
	fmt.Println(again.Slug(), byUID.Get("key"), byKey.UID() == art.UID)
	// Output: anonymous/my-data notes.txt true
}

// A folder is one artifact: hash md5-d over its files, n_files, one store per
// version family.
func ExampleInstance_Save_folder() {
	dir, opts, done := exampleDir()
	defer done()
	ctx := context.Background()
	inst, _ := ln.Init(ctx, ln.InitOptions{Options: opts, Storage: filepath.Join(dir, "data")})
	defer inst.Close()
	folder := filepath.Join(dir, "sample")
	os.MkdirAll(folder, 0o755)
	for name, content := range map[string]string{"a.txt": "0", "b.txt": "0", "c.txt": "1"} {
		os.WriteFile(filepath.Join(folder, name), []byte(content), 0o644)
	}
	art, _ := inst.Save(ctx, folder, ln.SaveOptions{Key: "sample"})
	fmt.Println(*art.Hash, *art.HashType, *art.NFiles, art.StorageKey() == ".lamindb/"+art.UID[:16])
	// Output: iGtHiFEBV3r1_TFovdQCgw md5-d 3 true
}
