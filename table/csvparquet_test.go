package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// setStreamLimits shrinks CSVToParquet's batches and row groups for one
// test, so small inputs cross many boundaries; zero keeps a default.
func setStreamLimits(t *testing.T, batchRows int64, batchBytes int, groupRows, groupData int64) {
	t.Helper()
	old := streamLimits
	t.Cleanup(func() { streamLimits = old })
	if batchRows > 0 {
		streamLimits.batchRows = batchRows
	}
	if batchBytes > 0 {
		streamLimits.batchBytes = batchBytes
	}
	if groupRows > 0 {
		streamLimits.groupRows = groupRows
	}
	if groupData > 0 {
		streamLimits.groupData = groupData
	}
}

// inMemoryParquet is what CSVToParquet wrote before it streamed: ReadCSV of
// the whole file, then WriteParquet.
func inMemoryParquet(t *testing.T, src string) []byte {
	t.Helper()
	tbl, err := ReadCSVFile(src)
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

func TestCSVToParquetSameBytesAsInMemory(t *testing.T) {
	// The inputs of the ReadCSV, round-trip, pandas and determinism tests.
	tests := []struct {
		name string
		file string
		in   string
	}{
		{"int", "a.csv", "a\n1\n-2\n+3\n"},
		{"int with empty cell", "a.csv", "a,b\n1,x\n,y\n3,z\n"},
		{"float", "a.csv", "a\n1.5\n-2e3\n.25\n"},
		{"mixed int and float", "a.csv", "a\n1\n2.5\n\n3\n"},
		{"nan and inf spellings", "a.csv", "a\nnan\n-nan\n+Inf\n-infinity\n1\n"},
		{"bool", "a.csv", "a\ntrue\nFalse\n\nTRUE\n"},
		{"bool with null", "a.csv", "a,b\ntrue,1\n,2\n"},
		{"int and bool", "a.csv", "a\n1\ntrue\n"},
		{"string", "a.csv", "a\nfoo\n\"b,ar\"\n"},
		{"all empty column", "a.csv", "a,b\n,1\n,2\n"},
		{"int64 overflow", "a.csv", "a\n1\n99999999999999999999\n"},
		{"hex and underscores", "a.csv", "a,b\n0x1p-2,1_000\n"},
		{"tsv", "a.tsv", "a\tb\n1\thello, world\n2\tx\n"},
		{"header only", "a.csv", "a,b\n"},
		{"byte order mark", "a.csv", "\xef\xbb\xbfa\n1\n"},
		{"late string", "a.csv", "x\n" + strings.Repeat("1\n", 4998) + "oops\n" + "2\n"},
		{"unnamed column", "a.csv", ",a\n0,1\n"},
		{"mixed types with nulls", "a.csv", "i,f,b,s,n\n1,1.5,true,x,\n,2,false,,\n3,-0.5,,z,\n"},
		{"pandas dtypes", "a.csv", "i,j,f,b,nb,s\n1,1,1.5,true,true,x\n,2,2,false,,y\n"},
		{"many rows", "a.csv", "a,b\n" + strings.Repeat("1,foo\n2,bar\n3.5,\n", 5000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := writeFile(t, dir, tc.file, tc.in)
			dst := filepath.Join(dir, "out.parquet")
			if _, err := CSVToParquet(t.Context(), src, dst); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(dst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, inMemoryParquet(t, src)) {
				t.Error("streamed Parquet differs from the in-memory conversion")
			}
		})
	}
}

// genCSV returns a header and rows rows of i (int64), f (float64), b (bool)
// and s (string); empty(r, col) leaves a cell empty and last, if not empty,
// is appended as the final row. Each column has few enough distinct values
// for its dictionary to stay under 1 MiB: past that arrow-go falls back to
// PLAIN pages and then writes the footer's encoding_stats in map order, so
// even equal tables give different bytes.
func genCSV(rows int, empty func(r, col int) bool, last string) string {
	var sb strings.Builder
	sb.WriteString("i,f,b,s\n")
	for r := range rows {
		cells := []string{fmt.Sprint(r*7919%100003 - 50000), fmt.Sprintf("%d.25", r%50000), fmt.Sprint(r%3 == 0), fmt.Sprintf("name%03d", r%1000)}
		for c := range cells {
			if empty != nil && empty(r, c) {
				cells[c] = ""
			}
		}
		sb.WriteString(strings.Join(cells, ",") + "\n")
	}
	if last != "" {
		sb.WriteString(last + "\n")
	}
	return sb.String()
}

func TestCSVToParquetBatches(t *testing.T) {
	const big = 2*(64<<10) + 5 // more than two default batches
	tests := []struct {
		name       string
		in         string
		limits     [4]int64 // batchRows, batchBytes, groupRows, groupData; 0 keeps the default
		wantTypes  string
		wantGroups int
		sameBytes  bool // one row group of whole batches: byte-identical to the in-memory path; false: not checked
	}{
		{"string in the last row makes int column string", genCSV(big, nil, "x,1,true,a"), [4]int64{}, "[utf8 float64 bool utf8]", 1, true},
		{"float in the last row makes int column float64", genCSV(big, nil, "2.5,1,true,a"), [4]int64{}, "[float64 float64 bool utf8]", 1, true},
		{"int in the last row makes bool column string", genCSV(big, nil, "1,1,7,a"), [4]int64{}, "[int64 float64 utf8 utf8]", 1, true},
		{"nulls only in the last batch", genCSV(big, func(r, c int) bool { return r == big-1 }, ""), [4]int64{}, "[int64 float64 bool utf8]", 1, true},
		{"nulls across batch boundaries", genCSV(100, func(r, c int) bool { return r >= 9 && r <= 11 && c < 2 || r == 99 && c == 2 }, ""),
			[4]int64{10, 0, 0, 0}, "[int64 float64 bool utf8]", 1, true},
		{"all-empty column across batches is string", genCSV(100, func(r, c int) bool { return c == 0 }, ""), [4]int64{10, 0, 0, 0}, "[utf8 float64 bool utf8]", 1, true},
		{"row groups bounded by rows", genCSV(100, func(r, c int) bool { return r%7 == c }, ""), [4]int64{10, 0, 25, 0}, "[int64 float64 bool utf8]", 4, false},
		{"row groups bounded by bytes", genCSV(100, nil, ""), [4]int64{10, 0, 0, 1}, "[int64 float64 bool utf8]", 10, false},
		{"batches bounded by bytes", genCSV(100, nil, "1.5,,,"), [4]int64{0, 64, 0, 0}, "[float64 float64 bool utf8]", 1, false},
		{"header only with small batches", genCSV(0, nil, ""), [4]int64{1, 1, 1, 1}, "[utf8 utf8 utf8 utf8]", 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setStreamLimits(t, tc.limits[0], int(tc.limits[1]), tc.limits[2], tc.limits[3])
			dir := t.TempDir()
			src := writeFile(t, dir, "in.csv", tc.in)
			dst := filepath.Join(dir, "out.parquet")
			rows, err := CSVToParquet(t.Context(), src, dst)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ReadCSVFile(src)
			if err != nil {
				t.Fatal(err)
			}
			defer want.Release()
			got, err := Load(dst)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			if rows != want.NumRows() || got.NumRows() != want.NumRows() {
				t.Fatalf("rows: returned %d, file %d, want %d", rows, got.NumRows(), want.NumRows())
			}
			var types []string
			for _, f := range got.Schema().Fields() {
				types = append(types, f.Type.String())
			}
			if fmt.Sprint(types) != tc.wantTypes {
				t.Errorf("types %v, want %s", types, tc.wantTypes)
			}
			for j, wf := range want.Schema().Fields() {
				// Load adds PARQUET:field_id field metadata, so compare parts.
				if gf := got.Schema().Field(j); gf.Name != wf.Name || !arrow.TypeEqual(gf.Type, wf.Type) || gf.Nullable != wf.Nullable {
					t.Errorf("field %d: %s, want %s", j, gf, wf)
				}
			}
			if g, w := got.Schema().Metadata(), want.Schema().Metadata(); !g.Equal(w) {
				t.Errorf("schema metadata %v, want %v", g, w)
			}
			for j := 0; j < int(want.NumCols()); j++ {
				if g, w := column(t, got, j), column(t, want, j); fmt.Sprint(g) != fmt.Sprint(w) {
					t.Errorf("column %d differs", j)
				}
			}
			pf, err := file.OpenParquetFile(dst, false)
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			if n := pf.NumRowGroups(); n != tc.wantGroups {
				t.Errorf("%d row groups, want %d", n, tc.wantGroups)
			}
			if b, _ := os.ReadFile(dst); tc.sameBytes && !bytes.Equal(b, inMemoryParquet(t, src)) {
				t.Error("streamed Parquet differs from the in-memory conversion")
			}
		})
	}
}

func TestCSVToParquetDeterministic(t *testing.T) {
	setStreamLimits(t, 10, 0, 25, 0) // several batches and row groups
	dir := t.TempDir()
	src := writeFile(t, dir, "in.csv", genCSV(100, func(r, c int) bool { return r%5 == c }, ""))
	var outs [2][]byte
	for i := range outs {
		dst := filepath.Join(dir, fmt.Sprintf("out%d.parquet", i))
		if _, err := CSVToParquet(t.Context(), src, dst); err != nil {
			t.Fatal(err)
		}
		var err error
		if outs[i], err = os.ReadFile(dst); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Error("two conversions of the same file differ")
	}
}

func TestCSVToParquetChangedBetweenPasses(t *testing.T) {
	const orig = "a,b\n1,2\n3,4\n"
	// rewrite replaces the file's content in place; keepTime then restores
	// the old modification time, so only the content checks can notice.
	rewrite := func(content string, keepTime bool) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			mtime := st.ModTime().Add(time.Second) // a later edit, even on coarse clocks
			if keepTime {
				mtime = st.ModTime()
			}
			if err := os.Chtimes(path, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name     string
		change   func(t *testing.T, path string)
		want     error
		wantText string
	}{
		{"row appended", rewrite(orig+"5,6\n", true), ErrInvalid, "more than 2 rows"},
		{"row removed", rewrite("a,b\n1,2\n", true), ErrInvalid, "1 rows, first pass read 2"},
		{"value no longer int", rewrite("a,b\n1,2\nx,4\n", true), ErrInvalid, `line 3: column "a": "x" is not int64`},
		{"ragged row", rewrite("a,b\n1,2\n34\n\n", true), ErrInvalid, "line 3: wrong number of fields"},
		{"empty cell in column without nulls", rewrite("a,b\n1,2\n,34\n", true), ErrInvalid, "empty cell"},
		{"bad quoting", rewrite("a,b\n1,2\n\"3,4\n", true), ErrInvalid, "line 3: extraneous or missing"},
		{"header renamed", rewrite("a,c\n1,2\n3,4\n", true), ErrInvalid, "header differs"},
		{"now empty", rewrite("", true), ErrInvalid, "no header"},
		{"same-size edit keeping types", rewrite("a,b\n1,2\n5,4\n", false), ErrInvalid, "modification time"},
		{"replaced by another file", func(t *testing.T, path string) {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			other := writeFile(t, filepath.Dir(path), "other.csv", orig)
			if err := os.Chtimes(other, st.ModTime(), st.ModTime()); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
		}, ErrInvalid, "modification time"},
		{"removed", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, os.ErrNotExist, "no such file"},
	}
	for _, tc := range tests {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/existing dst %v", tc.name, existing), func(t *testing.T) {
				checked := memory.NewCheckedAllocator(memory.NewGoAllocator())
				old := mem
				mem = checked
				defer func() { mem = old }()
				dir := t.TempDir()
				src := writeFile(t, dir, "in.csv", orig)
				dst := filepath.Join(dir, "out.parquet")
				if existing {
					writeFile(t, dir, "out.parquet", "old")
				}
				testHookBetweenPasses = func() { tc.change(t, src) }
				defer func() { testHookBetweenPasses = nil }()
				_, err := CSVToParquet(t.Context(), src, dst)
				if !errors.Is(err, tc.want) {
					t.Fatalf("error %v, want %v", err, tc.want)
				}
				if !strings.Contains(err.Error(), tc.wantText) {
					t.Errorf("error %q does not mention %q", err, tc.wantText)
				}
				if tc.want == ErrInvalid && !strings.Contains(err.Error(), "changed during conversion") {
					t.Errorf("error %q does not say the file changed", err)
				}
				b, err := os.ReadFile(dst)
				switch {
				case existing && string(b) != "old":
					t.Errorf("existing dst changed: %q, %v", b, err)
				case !existing && !os.IsNotExist(err):
					t.Errorf("dst left behind: %v", err)
				}
				noTemps(t, dst)
				checked.AssertSize(t, 0)
			})
		}
	}
}

// cancelAfter is a context that reports context.Canceled from its (n+1)th
// Err call on, so a test can cancel CSVToParquet at an exact row batch.
type cancelAfter struct {
	context.Context
	n int
}

// Err counts down n, then reports context.Canceled.
func (c *cancelAfter) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

func TestCSVToParquetCancelled(t *testing.T) {
	// 100 rows in batches of 10: the first pass checks before rows 0, 10, …,
	// 100 (11 checks), the second pass the same from the 12th check on.
	cancelled := func(p context.Context) context.Context {
		ctx, cancel := context.WithCancel(p)
		cancel()
		return ctx
	}
	tests := []struct {
		name       string
		ctx        func(parent context.Context) context.Context
		onHook     bool // cancel between the passes
		secondPass bool // the second pass must have started
	}{
		{name: "before the first pass", ctx: cancelled},
		{name: "during the first pass", ctx: func(p context.Context) context.Context { return &cancelAfter{p, 3} }},
		{name: "between the passes", onHook: true, secondPass: true},
		{name: "during the second pass", ctx: func(p context.Context) context.Context { return &cancelAfter{p, 14} }, secondPass: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setStreamLimits(t, 10, 0, 25, 0)
			checked := memory.NewCheckedAllocator(memory.NewGoAllocator())
			old := mem
			mem = checked
			defer func() { mem = old }()
			dir := t.TempDir()
			src := writeFile(t, dir, "in.csv", genCSV(100, nil, ""))
			dst := filepath.Join(dir, "out.parquet")
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tc.ctx != nil {
				ctx = tc.ctx(ctx)
			}
			hooked := false
			testHookBetweenPasses = func() {
				hooked = true
				if tc.onHook {
					cancel()
				}
			}
			defer func() { testHookBetweenPasses = nil }()
			_, err := CSVToParquet(ctx, src, dst)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			if hooked != tc.secondPass {
				t.Errorf("second pass started: %v, want %v", hooked, tc.secondPass)
			}
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Errorf("dst left behind: %v", err)
			}
			noTemps(t, dst)
			checked.AssertSize(t, 0)
		})
	}
}

func BenchmarkCSVToParquet(b *testing.B) {
	dir := b.TempDir()
	in := genCSV(200000, func(r, c int) bool { return r%97 == c }, "")
	src := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(src, []byte(in), 0o644); err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(dir, "out.parquet")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CSVToParquet(b.Context(), src, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func TestReadCSVNaNAndInfValues(t *testing.T) {
	// These spellings always made a column float64, but strconv.ParseFloat
	// rejects some of them, which used to store 0 instead.
	tests := []struct {
		name string
		cell string
		want string
	}{
		{"nan", "nan", "NaN"},
		{"signed nan", "-nan", "NaN"},
		{"plus nan", "+NaN", "NaN"},
		{"inf", "inf", "+Inf"},
		{"minus infinity", "-Infinity", "-Inf"},
		{"non-ASCII case form", "\u0130nf", "+Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl, err := ReadCSV(strings.NewReader("a\n1.5\n"+tc.cell+"\n"), ',')
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			if got := tbl.Schema().Field(0).Type; !arrow.TypeEqual(got, arrow.PrimitiveTypes.Float64) {
				t.Fatalf("type %s, want float64", got)
			}
			if got := column(t, tbl, 0)[1]; got != tc.want {
				t.Errorf("value %s, want %s", got, tc.want)
			}
		})
	}
}
