package table

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// streamLimits bounds what CSVToParquet holds in memory at once; a variable
// so tests can force many batches and row groups from small inputs. The byte
// bounds were set by measuring peak RSS (see TestCSVToParquetMemory).
var streamLimits = struct {
	batchRows  int64 // rows per Arrow record batch
	batchBytes int   // cell bytes per record batch, for wide rows
	groupRows  int64 // rows per Parquet row group, pyarrow's default
	groupData  int64 // Arrow bytes held per row group, for wide rows or many columns
}{
	batchRows:  64 << 10,
	batchBytes: 8 << 20,
	groupRows:  1 << 20,
	groupData:  16 << 20,
}

// testHookBetweenPasses, if set, runs after CSVToParquet's first pass, so
// tests can change the file in between.
var testHookBetweenPasses func()

// CSVToParquet converts src (.csv, or .tsv for tab-separated) into a Parquet
// file at dst and returns its number of rows, with the same rules, schema,
// values and pandas metadata as ReadCSV followed by WriteParquet.
//
// Memory does not grow with the file: a first pass infers the column types
// (they depend on every row) and a second converts the file in bounded
// record batches. Row groups hold at most 1Mi rows (pyarrow's default) and
// 16 MiB of Arrow data, so unlike WriteParquet's single row group a large
// file gets several; a file within one row group gives the same bytes as
// WriteParquet. If src changes between or during the passes the conversion
// fails with ErrInvalid. Both passes check ctx once per record batch of
// rows, so a cancelled conversion stops promptly with ctx's error. On any
// error nothing new is left at dst (an existing dst is not touched).
func CSVToParquet(ctx context.Context, src, dst string) (rows int64, err error) {
	l, err := inferCSVFile(ctx, src)
	if err != nil {
		return 0, err
	}
	if testHookBetweenPasses != nil {
		testHookBetweenPasses()
	}
	err = writeFileAtomic(dst, func(w io.Writer) error { return writeCSVParquet(ctx, w, src, l) })
	if err != nil {
		return 0, err
	}
	return l.rows, nil
}

// csvLayout is what the first pass learns about a CSV file.
type csvLayout struct {
	names []string
	kinds []kind
	rows  int64
	stat  os.FileInfo // at the start of the pass, to notice later changes
}

// inferCSVFile is the first pass: it reads path once and keeps only the
// column kinds and the row count.
func inferCSVFile(ctx context.Context, path string) (*csvLayout, error) {
	f, st, cr, err := openCSV(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	kinds, rows, err := cr.infer(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &csvLayout{names: cr.names, kinds: kinds, rows: rows, stat: st}, nil
}

// writeCSVParquet is the second pass: it reads src again and writes it as
// Parquet to w, checking that every cell still fits the layout.
func writeCSVParquet(ctx context.Context, w io.Writer, src string, l *csvLayout) (err error) {
	f, _, cr, err := openCSV(src)
	if err != nil {
		return changed(src, err)
	}
	defer f.Close()
	if !slices.Equal(cr.names, l.names) {
		return changed(src, fmt.Errorf("table: header differs: %w", ErrInvalid))
	}
	fields := csvFields(l.names, l.kinds)
	nulls := make([]bool, len(l.kinds))
	for i, k := range l.kinds {
		nulls[i] = k.null
	}
	schema, err := pandasSchema(fields, nulls, l.rows)
	if err != nil {
		return err
	}
	fw, err := pqarrow.NewFileWriter(schema, writeOnly{w}, writerProps(), arrowProps())
	if err != nil {
		return fmt.Errorf("table: writing parquet: %w", err)
	}
	defer func() {
		// Close also frees the writer's buffers, so it runs on failure
		// too; the half-written output is then discarded by the caller.
		if cerr := fw.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("table: writing parquet: %w", cerr)
		}
	}()
	gw := &groupWriter{fw: fw, rb: array.NewRecordBuilder(mem, schema), left: l.rows}
	defer gw.rb.Release()
	defer gw.release()                    // on failure; after success nothing is held
	gw.rb.Reserve(int(min(1024, l.rows))) // later batches are sized like the one before

	var rows int64
	for {
		if rows%streamLimits.batchRows == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return changed(src, err)
		}
		if rows == l.rows {
			return changed(src, fmt.Errorf("table: more than %d rows: %w", l.rows, ErrInvalid))
		}
		size := 0
		for i, s := range rec {
			if err := appendCell(gw.rb.Field(i), s, l.kinds[i].null); err != nil {
				return changed(src, cr.fieldError(i, fmt.Errorf("column %q: %w", l.names[i], err)))
			}
			size += len(s)
		}
		rows++
		if err := gw.added(size); err != nil {
			return err
		}
	}
	if rows != l.rows {
		return changed(src, fmt.Errorf("table: %d rows, first pass read %d: %w", rows, l.rows, ErrInvalid))
	}
	// Same-sized edits that keep every cell's type are caught only here.
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("table: %w", err)
	}
	if !os.SameFile(st, l.stat) || st.Size() != l.stat.Size() || !st.ModTime().Equal(l.stat.ModTime()) {
		return changed(src, fmt.Errorf("table: size or modification time differs: %w", ErrInvalid))
	}
	return gw.finish()
}

// groupWriter cuts the rows appended to rb into record batches and gathers
// them into row groups within streamLimits. A full row group is written
// column by column over its batches, exactly as WriteParquet
// (pqarrow.WriteTable) writes one, so equal data gives equal bytes. Writing
// one column at a time keeps a single column encoder (dictionary, hash
// table, page) alive and frees each column's values once written; a buffered
// row group would keep an encoder per column plus page buffers that grow by
// doubling, which measured several times worse with many columns.
type groupWriter struct {
	fw        *pqarrow.FileWriter
	rb        *array.RecordBuilder
	left      int64           // rows still to come, to size reservations
	batchRows int64           // in the open batch
	batchSize int             // cell bytes in the open batch
	cols      [][]arrow.Array // the row group's batches, by column
	groupRows int64
	groupData int64 // Arrow bytes held in cols
	wrote     bool  // a row group has been written
}

// added counts one row of size cell bytes just appended to rb and cuts the
// batch when a bound is reached; a batch never crosses a row group bound.
func (g *groupWriter) added(size int) error {
	g.left--
	g.batchRows++
	g.batchSize += size
	lim := &streamLimits
	if g.batchRows < min(lim.batchRows, lim.groupRows-g.groupRows) && g.batchSize < lim.batchBytes {
		return nil
	}
	rows := g.batchRows
	if err := g.cut(); err != nil {
		return err
	}
	// Size the next batch like this one: batches cut by bytes can be far
	// shorter than batchRows, and reserving batchRows for each of many
	// columns would cost more than the batch itself.
	g.rb.Reserve(int(min(rows, g.left)))
	return nil
}

// cut moves the open batch into the row group and writes the group once
// it is full.
func (g *groupWriter) cut() error {
	rec := g.rb.NewRecordBatch()
	defer rec.Release()
	if g.cols == nil {
		g.cols = make([][]arrow.Array, rec.NumCols())
	}
	for i, col := range rec.Columns() {
		col.Retain()
		g.cols[i] = append(g.cols[i], col)
		for _, buf := range col.Data().Buffers() {
			if buf != nil {
				g.groupData += int64(buf.Len())
			}
		}
	}
	g.groupRows += rec.NumRows()
	g.batchRows, g.batchSize = 0, 0
	if g.groupRows >= streamLimits.groupRows || g.groupData >= streamLimits.groupData {
		return g.writeGroup()
	}
	return nil
}

// writeGroup writes the batches held as one row group and frees them.
func (g *groupWriter) writeGroup() error {
	defer g.release()
	if err := g.fw.NewRowGroupChecked(); err != nil {
		return fmt.Errorf("table: writing parquet: %w", err)
	}
	for i, f := range g.rb.Schema().Fields() {
		col := arrow.NewChunked(f.Type, g.cols[i])
		err := g.fw.WriteColumnChunked(col, 0, int64(col.Len()))
		col.Release()
		g.cols[i] = releaseAll(g.cols[i])
		if err != nil {
			return fmt.Errorf("table: writing parquet: %w", err)
		}
	}
	g.wrote = true
	return nil
}

// release frees the batches held, written or not.
func (g *groupWriter) release() {
	for i := range g.cols {
		g.cols[i] = releaseAll(g.cols[i])
	}
	g.groupRows, g.groupData = 0, 0
}

// releaseAll releases the arrays in c and returns c emptied, keeping its
// capacity for the next row group.
func releaseAll(c []arrow.Array) []arrow.Array {
	for _, a := range c {
		a.Release()
	}
	clear(c)
	return c[:0]
}

// finish writes what is left. A header-only file (nothing cut yet, so cols
// is nil) still gets its one empty row group, as WriteParquet writes it.
func (g *groupWriter) finish() error {
	if g.batchRows > 0 || g.cols == nil {
		if err := g.cut(); err != nil {
			return err
		}
	}
	if g.groupRows > 0 || !g.wrote {
		return g.writeGroup()
	}
	return nil
}

// changed marks a bad-input error found in the second pass: the first pass
// accepted the file, so it changed in between. I/O errors pass unchanged.
func changed(src string, err error) error {
	if !errors.Is(err, ErrInvalid) {
		return err
	}
	return fmt.Errorf("%w (%s changed during conversion)", err, src)
}
