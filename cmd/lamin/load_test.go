package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/google/go-cmp/cmp"

	"github.com/lamindb-go/lamindb/table"
)

// TestLoad: `lamin load` prints the local path and nothing else on stdout, and
// the Parquet of a --dataframe CSV save holds the CSV's values.
func TestLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.init("inst")
	e.write("df.csv", seedCSV)
	e.write("plain.txt", "hello\n")
	df := e.saveUID("df.csv", "--dataframe", "--key", "tables/df.parquet")
	plain := e.saveUID("plain.txt", "--key", "notes/plain.txt")
	tests := []struct {
		name string
		args []string
		want string // the path printed
	}{
		{"dataframe by uid", []string{"--uid", df}, filepath.Join(root, ".lamindb", df+".parquet")},
		{"dataframe by stem", []string{"--uid", df[:16]}, filepath.Join(root, ".lamindb", df+".parquet")},
		{"dataframe by key", []string{"--key", "tables/df.parquet"}, filepath.Join(root, ".lamindb", df+".parquet")},
		{"plain file", []string{"--uid", plain}, filepath.Join(root, ".lamindb", plain+".txt")},
		{"2023 name", []string{"--uid", plain}, filepath.Join(root, ".lamindb", plain+".txt")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := "artifact"
			if tc.name == "2023 name" {
				reg = "file"
			}
			r := e.ok(append([]string{"load", reg}, tc.args...)...)
			if r.stdout != tc.want+"\n" {
				t.Errorf("stdout = %q, want exactly the path %q and a newline", r.stdout, tc.want)
			}
			if r.stderr != "" {
				t.Errorf("load printed messages on stderr:\n%s", r.stderr)
			}
		})
	}

	p := e.loadPath("--uid", df)
	tbl, err := table.Load(p)
	if err != nil {
		t.Fatalf("table.Load(%s): %v", p, err)
	}
	defer tbl.Release()
	got := map[string][]int64{}
	for i := 0; i < int(tbl.NumCols()); i++ {
		col := tbl.Column(i)
		for _, chunk := range col.Data().Chunks() {
			ints, ok := chunk.(*array.Int64)
			if !ok {
				t.Fatalf("column %s is %s, want int64", col.Name(), chunk.DataType())
			}
			got[col.Name()] = append(got[col.Name()], ints.Int64Values()...)
		}
	}
	if diff := cmp.Diff(map[string][]int64{"a": {1, 2}, "b": {3, 4}}, got); diff != "" {
		t.Errorf("loaded table (-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(e.loadPath("--uid", plain)); err != nil || string(b) != "hello\n" {
		t.Errorf("plain file bytes %q, %v", b, err)
	}
}
