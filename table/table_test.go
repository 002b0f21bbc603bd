package table

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/lamindb-go/lamindb/digest"
)

// cell renders one value for comparisons; "<null>" marks nulls.
func cell(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "<null>"
	}
	return a.ValueStr(i)
}

// noTemps fails t if a temporary file of writeFileAtomic for dst
// (dst+".tmp-*") is left behind.
func noTemps(t *testing.T, dst string) {
	t.Helper()
	left, err := filepath.Glob(dst + ".tmp-*")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("temp file left behind: %v", left)
	}
}

// column flattens column j of tbl for easy comparison.
func column(t *testing.T, tbl arrow.Table, j int) []string {
	t.Helper()
	var out []string
	for _, ch := range tbl.Column(j).Data().Chunks() {
		for i := 0; i < ch.Len(); i++ {
			out = append(out, cell(ch, i))
		}
	}
	return out
}

func TestReadCSVInference(t *testing.T) {
	late := "x\n" + strings.Repeat("1\n", 4998) + "oops\n" + "2\n"
	tests := []struct {
		name  string
		in    string
		comma rune
		types []arrow.DataType
		cols  [][]string
	}{
		{"int", "a\n1\n-2\n+3\n", ',', []arrow.DataType{arrow.PrimitiveTypes.Int64}, [][]string{{"1", "-2", "3"}}},
		{"int with empty cell stays int64", "a,b\n1,x\n,y\n3,z\n", ',',
			[]arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String},
			[][]string{{"1", "<null>", "3"}, {"x", "y", "z"}}},
		{"float", "a\n1.5\n-2e3\n.25\n", ',', []arrow.DataType{arrow.PrimitiveTypes.Float64}, [][]string{{"1.5", "-2000", "0.25"}}},
		{"mixed int and float is float64", "a\n1\n2.5\n\n3\n", ',', []arrow.DataType{arrow.PrimitiveTypes.Float64}, [][]string{{"1", "2.5", "3"}}},
		{"bool", "a\ntrue\nFalse\n\nTRUE\n", ',', []arrow.DataType{arrow.FixedWidthTypes.Boolean}, [][]string{{"true", "false", "true"}}},
		{"bool with null", "a,b\ntrue,1\n,2\n", ',', []arrow.DataType{arrow.FixedWidthTypes.Boolean, arrow.PrimitiveTypes.Int64}, [][]string{{"true", "<null>"}, {"1", "2"}}},
		{"int and bool is string", "a\n1\ntrue\n", ',', []arrow.DataType{arrow.BinaryTypes.String}, [][]string{{"1", "true"}}},
		{"string", "a\nfoo\n\"b,ar\"\n", ',', []arrow.DataType{arrow.BinaryTypes.String}, [][]string{{"foo", "b,ar"}}},
		{"all empty column is string", "a,b\n,1\n,2\n", ',', []arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64}, [][]string{{"<null>", "<null>"}, {"1", "2"}}},
		{"int64 overflow stays string", "a\n1\n99999999999999999999\n", ',', []arrow.DataType{arrow.BinaryTypes.String}, [][]string{{"1", "99999999999999999999"}}},
		{"hex and underscores are strings", "a,b\n0x1p-2,1_000\n", ',', []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.String}, [][]string{{"0x1p-2"}, {"1_000"}}},
		{"tsv", "a\tb\n1\thello, world\n2\tx\n", '\t', []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String}, [][]string{{"1", "2"}, {"hello, world", "x"}}},
		{"header only", "a,b\n", ',', []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.String}, [][]string{nil, nil}},
		{"byte order mark skipped", "\xef\xbb\xbfa\n1\n", ',', []arrow.DataType{arrow.PrimitiveTypes.Int64}, [][]string{{"1"}}},
		{"string in row 5000 makes column string", late, ',', []arrow.DataType{arrow.BinaryTypes.String}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl, err := ReadCSV(strings.NewReader(tc.in), tc.comma)
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			if got := int(tbl.NumCols()); got != len(tc.types) {
				t.Fatalf("got %d columns, want %d", got, len(tc.types))
			}
			for j, want := range tc.types {
				if got := tbl.Schema().Field(j).Type; !arrow.TypeEqual(got, want) {
					t.Errorf("column %d: type %s, want %s", j, got, want)
				}
				if tc.cols == nil {
					continue
				}
				if got := column(t, tbl, j); fmt.Sprint(got) != fmt.Sprint(tc.cols[j]) {
					t.Errorf("column %d: values %v, want %v", j, got, tc.cols[j])
				}
			}
		})
	}
}

func TestReadCSVHeaderNames(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "a,b\n1,2\n", []string{"a", "b"}},
		{"empty name like pandas index", ",a\n0,1\n", []string{"Unnamed: 0", "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl, err := ReadCSV(strings.NewReader(tc.in), ',')
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			var got []string
			for _, f := range tbl.Schema().Fields() {
				got = append(got, f.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("names %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadCSVInvalid(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantText string
	}{
		{"empty file", "", "no header"},
		{"blank lines only", "\n\n", "no header"},
		{"ragged row", "a,b\n1,2\n3\n", "line 3: wrong number of fields"},
		{"unterminated quote", "a,b\n1,\"2\n3,4\n", "record starting at line 2"},
		{"bare quote", "a\nx\"y\n", "line 2"},
		{"invalid utf8", "a\nok\n\xff\xfe\n", "line 3: invalid UTF-8"},
		{"invalid utf8 in header", "\xffa\n1\n", "line 1: invalid UTF-8"},
		{"duplicate names", "a,a\n1,2\n", "duplicate column name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl, err := ReadCSV(strings.NewReader(tc.in), ',')
			if err == nil {
				tbl.Release()
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %q does not mention %q", err, tc.wantText)
			}
		})
	}
}

func TestReadCSVBadDelimiter(t *testing.T) {
	tests := []struct {
		name  string
		comma rune
	}{
		{"quote", '"'},
		{"newline", '\n'},
		{"invalid rune", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadCSV(strings.NewReader("a\n1\n"), tc.comma); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		file string
		in   string
		rows int64
	}{
		{"csv mixed types", "data.csv", "i,f,b,s,n\n1,1.5,true,x,\n,2,false,,\n3,-0.5,,z,\n", 3},
		{"tsv", "data.tsv", "a\tb\n1\tx y\n2\tz\n", 2},
		{"header only", "empty.csv", "a,b\n", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := writeFile(t, dir, tc.file, tc.in)
			dst := filepath.Join(dir, "out.parquet")
			rows, err := CSVToParquet(t.Context(), src, dst)
			if err != nil {
				t.Fatal(err)
			}
			if rows != tc.rows {
				t.Errorf("CSVToParquet rows = %d, want %d", rows, tc.rows)
			}
			if n, err := ParquetRows(dst); err != nil || n != tc.rows {
				t.Errorf("ParquetRows = %d, %v; want %d", n, err, tc.rows)
			}
			want, err := Load(src)
			if err != nil {
				t.Fatal(err)
			}
			defer want.Release()
			got, err := Load(dst)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			if got.NumRows() != want.NumRows() || got.NumCols() != want.NumCols() {
				t.Fatalf("shape %dx%d, want %dx%d", got.NumRows(), got.NumCols(), want.NumRows(), want.NumCols())
			}
			for j := 0; j < int(want.NumCols()); j++ {
				wf, gf := want.Schema().Field(j), got.Schema().Field(j)
				if wf.Name != gf.Name || !arrow.TypeEqual(wf.Type, gf.Type) {
					t.Errorf("field %d: got %s %s, want %s %s", j, gf.Name, gf.Type, wf.Name, wf.Type)
				}
				if g, w := column(t, got, j), column(t, want, j); fmt.Sprint(g) != fmt.Sprint(w) {
					t.Errorf("column %s: got %v, want %v", wf.Name, g, w)
				}
			}
			noTemps(t, dst)
		})
	}
}

func TestWriteParquetDeterministic(t *testing.T) {
	tests := []struct {
		name string
		csv  string
	}{
		{"small", "a,b,c\n1,x,true\n2,,false\n"},
		{"many rows", "a,b\n" + strings.Repeat("1,foo\n2,bar\n3.5,\n", 5000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var outs [2][]byte
			for i := range outs {
				// Re-read each time: equal tables, not just the same one.
				tbl, err := ReadCSV(strings.NewReader(tc.csv), ',')
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := WriteParquet(&buf, tbl); err != nil {
					t.Fatal(err)
				}
				tbl.Release()
				outs[i] = buf.Bytes()
			}
			if !bytes.Equal(outs[0], outs[1]) {
				t.Error("two writes of equal tables differ")
			}
			rdr, err := file.NewParquetReader(bytes.NewReader(outs[0]))
			if err != nil {
				t.Fatal(err)
			}
			if n := rdr.NumRowGroups(); n != 1 {
				t.Errorf("%d row groups, want 1", n)
			}
			if got := rdr.MetaData().GetCreatedBy(); got != CreatedBy {
				t.Errorf("created_by %q, want %q", got, CreatedBy)
			}
		})
	}
}

func TestPandasMetadata(t *testing.T) {
	tests := []struct {
		name  string
		csv   string
		numpy map[string]string
	}{
		{"nullable int is Int64", "i,j,f,b,nb,s\n1,1,1.5,true,true,x\n,2,2,false,,y\n", map[string]string{
			"i": "Int64", "j": "int64", "f": "float64", "b": "bool", "nb": "boolean", "s": "object",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := writeFile(t, dir, "x.csv", tc.csv)
			dst := filepath.Join(dir, "x.parquet")
			if _, err := CSVToParquet(t.Context(), src, dst); err != nil {
				t.Fatal(err)
			}
			// The Arrow schema read back from the file (ARROW:schema) must carry it.
			tbl, err := Load(dst)
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			md := tbl.Schema().Metadata()
			idx := md.FindKey(pandasKey)
			if idx < 0 {
				t.Fatalf("no %q key in schema metadata %v", pandasKey, md)
			}
			var meta struct {
				IndexColumns []struct {
					Kind string `json:"kind"`
					Stop int64  `json:"stop"`
				} `json:"index_columns"`
				Columns []struct {
					Name       string `json:"name"`
					FieldName  string `json:"field_name"`
					PandasType string `json:"pandas_type"`
					NumpyType  string `json:"numpy_type"`
				} `json:"columns"`
			}
			if err := json.Unmarshal([]byte(md.Values()[idx]), &meta); err != nil {
				t.Fatal(err)
			}
			if len(meta.IndexColumns) != 1 || meta.IndexColumns[0].Kind != "range" || meta.IndexColumns[0].Stop != tbl.NumRows() {
				t.Errorf("index_columns %+v, want one range index stopping at %d", meta.IndexColumns, tbl.NumRows())
			}
			got := map[string]string{}
			for _, c := range meta.Columns {
				got[c.Name] = c.NumpyType
				if c.FieldName != c.Name {
					t.Errorf("column %q: field_name %q", c.Name, c.FieldName)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.numpy) {
				t.Errorf("numpy types %v, want %v", got, tc.numpy)
			}
			// It must also be in the Parquet footer key/value metadata.
			f, err := file.OpenParquetFile(dst, false)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.MetaData().KeyValueMetadata().FindValue(pandasKey) == nil {
				t.Error("pandas key missing from Parquet key/value metadata")
			}
		})
	}
}

func TestParquetInvalid(t *testing.T) {
	good := func(t *testing.T) []byte {
		tbl, err := FromColumns([]string{"a", "b"}, []int64{1, 2, 3}, []string{"x", "y", "z"})
		if err != nil {
			t.Fatal(err)
		}
		defer tbl.Release()
		var buf bytes.Buffer
		if err := WriteParquet(&buf, tbl); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	tests := []struct {
		name    string
		content func(t *testing.T) []byte
	}{
		{"empty file", func(*testing.T) []byte { return nil }},
		{"random bytes", func(*testing.T) []byte {
			b := make([]byte, 4096)
			rand.New(rand.NewSource(1)).Read(b)
			return b
		}},
		{"truncated", func(t *testing.T) []byte { b := good(t); return b[:len(b)/2] }},
		{"magic only", func(*testing.T) []byte { return []byte("PAR1PAR1") }},
		{"corrupt footer", func(t *testing.T) []byte {
			b := good(t)
			for i := len(b) - 60; i < len(b)-8; i++ {
				b[i] ^= 0x5a
			}
			return b
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bad.parquet")
			if err := os.WriteFile(p, tc.content(t), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ParquetRows(p); !errors.Is(err, ErrInvalid) {
				t.Errorf("ParquetRows error %v does not wrap ErrInvalid", err)
			}
			tbl, err := Load(p)
			if err == nil {
				tbl.Release()
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Load error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestCSVToParquetBadInput(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		invalid bool
	}{
		{"ragged", "r.csv", "a,b\n1,2\n3\n", true},
		{"unterminated quote", "q.csv", "a\n\"x\n", true},
		{"empty", "e.csv", "", true},
		{"invalid utf8 tsv", "u.tsv", "a\tb\n\xff\t1\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := writeFile(t, dir, tc.file, tc.content)
			dst := filepath.Join(dir, "out.parquet")
			_, err := CSVToParquet(t.Context(), src, dst)
			if err == nil || errors.Is(err, ErrInvalid) != tc.invalid {
				t.Fatalf("error %v, want ErrInvalid=%v", err, tc.invalid)
			}
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Errorf("%s exists after failed conversion", filepath.Base(dst))
			}
			noTemps(t, dst)
		})
	}
	t.Run("missing source", func(t *testing.T) {
		dir := t.TempDir()
		_, err := CSVToParquet(t.Context(), filepath.Join(dir, "nope.csv"), filepath.Join(dir, "out.parquet"))
		if err == nil || errors.Is(err, ErrInvalid) || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v, want not-exist and not ErrInvalid", err)
		}
	})
}

func TestNotRegularRefused(t *testing.T) {
	// A FIFO blocks a plain open (or read) until a writer comes, which would
	// hang a save; it must be refused at once as bad input.
	tests := []struct {
		name string
		file string
		call func(t *testing.T, src, dst string) error
	}{
		{"CSVToParquet", "x.csv", func(t *testing.T, src, dst string) error { _, err := CSVToParquet(t.Context(), src, dst); return err }},
		{"ParquetRows", "x.parquet", func(_ *testing.T, src, _ string) error { _, err := ParquetRows(src); return err }},
		{"Load csv", "x.csv", func(_ *testing.T, src, _ string) error { return loadErr(src) }},
		{"Load parquet", "x.parquet", func(_ *testing.T, src, _ string) error { return loadErr(src) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, tc.file)
			if err := syscall.Mkfifo(src, 0o644); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, "out.parquet")
			done := make(chan error, 1)
			go func() { done <- tc.call(t, src, dst) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				// The call is stuck in open or read; fail rather than hang.
				t.Fatal("still blocked on the FIFO after 10s")
			}
			if !errors.Is(err, ErrInvalid) || !errors.Is(err, digest.ErrNotRegular) {
				t.Fatalf("error %v, want ErrInvalid and digest.ErrNotRegular", err)
			}
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Errorf("dst exists after a refused input: %v", err)
			}
			noTemps(t, dst)
		})
	}
}

// loadErr is Load's error, releasing the table if there is one.
func loadErr(path string) error {
	tbl, err := Load(path)
	if err == nil {
		tbl.Release()
	}
	return err
}

func TestWriteParquetFileFailure(t *testing.T) {
	tests := []struct {
		name string
		path func(dir string) string
	}{
		{"missing directory", func(dir string) string { return filepath.Join(dir, "no", "such", "x.parquet") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl, err := FromColumns([]string{"a"}, []int64{1})
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			p := tc.path(t.TempDir())
			if err := WriteParquetFile(p, tbl); err == nil {
				t.Fatal("no error")
			}
			noTemps(t, p)
		})
	}
}

func TestLoadUnsupported(t *testing.T) {
	tests := []struct {
		name string
		file string
	}{
		{"json", "x.json"},
		{"no suffix", "x"},
		{"gzipped csv", "x.csv.gz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), tc.file, "a\n1\n")
			tbl, err := Load(p)
			if err == nil {
				tbl.Release()
			}
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("error %v does not wrap ErrUnsupported", err)
			}
		})
	}
}

func TestFromColumns(t *testing.T) {
	tests := []struct {
		name    string
		names   []string
		cols    []any
		rows    int64
		wantErr bool
	}{
		// The two-column frame from lamindb's FAQ.
		{"faq frame", []string{"a", "b"}, []any{[]int64{1, 2}, []int64{3, 4}}, 2, false},
		{"all types", []string{"i", "f", "s", "b"}, []any{[]int64{1}, []float64{1.5}, []string{"x"}, []bool{true}}, 1, false},
		{"no columns", nil, nil, 0, false},
		{"length mismatch", []string{"a", "b"}, []any{[]int64{1, 2}, []int64{3}}, 0, true},
		{"name count mismatch", []string{"a"}, []any{[]int64{1}, []int64{2}}, 0, true},
		{"unsupported type", []string{"a"}, []any{[]int{1}}, 0, true},
		{"duplicate name", []string{"a", "a"}, []any{[]int64{1}, []int64{2}}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl, err := FromColumns(tc.names, tc.cols...)
			if tc.wantErr {
				if err == nil {
					tbl.Release()
					t.Fatal("no error")
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("error %v does not wrap ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			p := filepath.Join(t.TempDir(), "df.parquet")
			if err := WriteParquetFile(p, tbl); err != nil {
				t.Fatal(err)
			}
			n, err := ParquetRows(p)
			if err != nil || n != tc.rows {
				t.Errorf("ParquetRows = %d, %v; want %d", n, err, tc.rows)
			}
		})
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a\n1\n2.5\n", "a\n\"x\n", "a,b\n1\n", "", "a\ntrue\n\n", "\xef\xbb\xbfa\n\xff\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tbl, err := ReadCSV(strings.NewReader(in), ',')
		if err != nil {
			return
		}
		defer tbl.Release()
		var buf bytes.Buffer
		if err := WriteParquet(&buf, tbl); err != nil {
			t.Fatalf("WriteParquet after successful ReadCSV: %v", err)
		}
		for j := 0; j < int(tbl.NumCols()); j++ {
			if n := int64(tbl.Column(j).Len()); n != tbl.NumRows() {
				t.Fatalf("column %d has %d rows, table %d", j, n, tbl.NumRows())
			}
		}
	})
}

func TestWriteParquetAddsPandasMetadata(t *testing.T) {
	tests := []struct {
		name      string
		nulls     bool
		wantNumpy string
	}{
		{"no nulls", false, "int64"},
		{"with nulls", true, "Int64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A table built with plain arrow, without any schema metadata.
			b := array.NewInt64Builder(mem)
			b.AppendValues([]int64{1, 2}, nil)
			if tc.nulls {
				b.AppendNull()
			}
			arr := b.NewArray()
			b.Release()
			defer arr.Release()
			sc := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
			tbl := array.NewTableFromSlice(sc, [][]arrow.Array{{arr}})
			defer tbl.Release()
			p := filepath.Join(t.TempDir(), "x.parquet")
			if err := WriteParquetFile(p, tbl); err != nil {
				t.Fatal(err)
			}
			if tbl.Schema().HasMetadata() {
				t.Error("WriteParquet modified the caller's schema")
			}
			got, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			md := got.Schema().Metadata()
			i := md.FindKey(pandasKey)
			if i < 0 {
				t.Fatal("no pandas metadata")
			}
			if want := `"numpy_type":"` + tc.wantNumpy + `"`; !strings.Contains(md.Values()[i], want) {
				t.Errorf("pandas metadata %s lacks %s", md.Values()[i], want)
			}
		})
	}
}

func TestNoLeaks(t *testing.T) {
	tests := []struct {
		name string
		file string
		csv  string
	}{
		{"csv", "a.csv", "a,b,c\n1,x,true\n,y,\n"},
		{"tsv", "a.tsv", "a\tb\n1.5\tz\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checked := memory.NewCheckedAllocator(memory.NewGoAllocator())
			old := mem
			mem = checked
			defer func() { mem = old }()
			dir := t.TempDir()
			src := writeFile(t, dir, tc.file, tc.csv)
			dst := filepath.Join(dir, "a.parquet")
			if _, err := CSVToParquet(t.Context(), src, dst); err != nil {
				t.Fatal(err)
			}
			tbl, err := Load(dst)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteParquet(io.Discard, tbl); err != nil {
				t.Fatal(err)
			}
			tbl.Release()
			ft, err := FromColumns([]string{"a"}, []string{"x"})
			if err != nil {
				t.Fatal(err)
			}
			ft.Release()
			checked.AssertSize(t, 0)
		})
	}
}
