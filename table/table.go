// Package table converts between CSV/TSV, Arrow tables and Parquet files, the
// way lamindb stores data frames as artifacts.
//
// Every arrow.Table returned by this package is reference counted: callers
// must call Release on it when done, or its buffers are never returned to the
// allocator. All memory comes from memory.DefaultAllocator.
package table

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ErrInvalid is wrapped by every error caused by corrupt or unparsable input
// (ragged CSV rows, bad quoting, invalid UTF-8, broken Parquet), so callers can
// tell bad data apart from I/O failures with errors.Is.
var ErrInvalid = errors.New("invalid table")

// ErrUnsupported is wrapped when a file's suffix names a format this package
// cannot read, so callers can fall back to storing the file as an opaque blob.
var ErrUnsupported = errors.New("unsupported table format")

// mem is the allocator for all tables built here; one place to change it.
var mem memory.Allocator = memory.DefaultAllocator

// FromColumns builds a table from named Go slices, each an []int64, []float64,
// []string or []bool of equal length; it exists for tests and examples, so
// values are never null. The caller must Release the table.
func FromColumns(names []string, cols ...any) (arrow.Table, error) {
	if len(names) != len(cols) {
		return nil, fmt.Errorf("table: %d names for %d columns: %w", len(names), len(cols), ErrInvalid)
	}
	if err := checkNames(names); err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, 0, len(cols))
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	rows := -1
	for i, c := range cols {
		var a arrow.Array
		switch v := c.(type) {
		case []int64:
			b := array.NewInt64Builder(mem)
			b.AppendValues(v, nil)
			a = b.NewArray()
			b.Release()
		case []float64:
			b := array.NewFloat64Builder(mem)
			b.AppendValues(v, nil)
			a = b.NewArray()
			b.Release()
		case []string:
			b := array.NewStringBuilder(mem)
			b.AppendValues(v, nil)
			a = b.NewArray()
			b.Release()
		case []bool:
			b := array.NewBooleanBuilder(mem)
			b.AppendValues(v, nil)
			a = b.NewArray()
			b.Release()
		default:
			return nil, fmt.Errorf("table: column %q: unsupported Go type %T: %w", names[i], c, ErrInvalid)
		}
		arrs = append(arrs, a)
		if rows >= 0 && a.Len() != rows {
			return nil, fmt.Errorf("table: column %q has %d values, want %d: %w", names[i], a.Len(), rows, ErrInvalid)
		}
		rows = a.Len()
		fields[i] = arrow.Field{Name: names[i], Type: a.DataType(), Nullable: true}
	}
	if rows < 0 {
		rows = 0
	}
	return newTable(fields, arrs, int64(rows))
}

// newTable assembles a single-chunk table and attaches pandas metadata so the
// Parquet file reads back in pandas with the same dtypes. It does not take
// ownership of arrs; the table holds its own references.
func newTable(fields []arrow.Field, arrs []arrow.Array, rows int64) (arrow.Table, error) {
	nulls := make([]bool, len(arrs))
	for i, a := range arrs {
		nulls[i] = a.NullN() > 0
	}
	schema, err := pandasSchema(fields, nulls, rows)
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Column, len(arrs))
	for i, a := range arrs {
		ch := arrow.NewChunked(fields[i].Type, []arrow.Array{a})
		cols[i] = *arrow.NewColumn(fields[i], ch)
		ch.Release()
	}
	tbl := array.NewTable(schema, cols, rows)
	for i := range cols {
		cols[i].Release()
	}
	return tbl, nil
}

// checkNames rejects duplicate column names: pandas, Parquet readers and
// lamindb's feature validation all address columns by name.
func checkNames(names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return fmt.Errorf("table: duplicate column name %q: %w", n, ErrInvalid)
		}
		seen[n] = true
	}
	return nil
}
