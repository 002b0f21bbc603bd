package table

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lamindb-go/lamindb/digest"
)

// CreatedBy is the fixed created_by string written into Parquet footers.
// Fixing it (instead of the library default, which embeds the arrow-go
// version) keeps artifact hashes stable across dependency upgrades.
const CreatedBy = "lamindb-go table"

// writerProps pins every Parquet writer setting that affects the bytes, so
// equal tables always hash equal. Values match pyarrow's defaults where
// that is possible (snappy, dictionary on, format 2.6, v1 data pages).
func writerProps() *parquet.WriterProperties {
	return parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCreatedBy(CreatedBy),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(true),
		parquet.WithDictionaryPageSizeLimit(1<<20),
		parquet.WithVersion(parquet.V2_6),
		parquet.WithDataPageVersion(parquet.DataPageV1),
		parquet.WithDataPageSize(1<<20),
		parquet.WithBatchSize(1024),
		parquet.WithMaxRowGroupLength(parquet.DefaultMaxRowGroupLen),
		parquet.WithStats(true),
		parquet.WithPageIndexEnabled(false),
		parquet.WithBloomFilterEnabled(false),
	)
}

// arrowProps stores the Arrow schema (with the pandas metadata) in the file,
// so Load gets back exactly the types and metadata that were written.
func arrowProps() pqarrow.ArrowWriterProperties {
	return pqarrow.NewArrowWriterProperties(
		pqarrow.WithAllocator(mem),
		pqarrow.WithStoreSchema(),
	)
}

// writeOnly hides any Close method of the destination: pqarrow closes an
// io.Closer it writes to, which would break WriteParquetFile's fsync.
type writeOnly struct{ w io.Writer }

// Write forwards to the wrapped writer.
func (w writeOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

// WriteParquet writes tbl as one Parquet file with a single row group (up to
// parquet.DefaultMaxRowGroupLen rows). Output is deterministic: equal tables
// give identical bytes. The Arrow schema and its metadata are stored in the
// file; pandas metadata is added when tbl lacks it (and all column types
// map to pandas), so pandas restores the same dtypes, e.g. nullable Int64.
func WriteParquet(w io.Writer, tbl arrow.Table) error {
	chunk := tbl.NumRows()
	if chunk < 1 {
		chunk = 1
	}
	tbl = withPandasMetadata(tbl)
	defer tbl.Release()
	if err := pqarrow.WriteTable(tbl, writeOnly{w}, chunk, writerProps(), arrowProps()); err != nil {
		return fmt.Errorf("table: writing parquet: %w", err)
	}
	return nil
}

// WriteParquetFile writes tbl to path atomically: it writes a temporary
// path+".tmp-*" beside it, syncs it and renames it into place, so readers
// never see a partial file. On error the temporary file is removed and path
// is untouched.
func WriteParquetFile(path string, tbl arrow.Table) error {
	return writeFileAtomic(path, func(w io.Writer) error { return WriteParquet(w, tbl) })
}

// writeFileAtomic runs write into a new temporary path+".tmp-*" (buffered,
// so the writer's many small writes do not each become a system call), syncs
// it and renames it to path; on any error the temporary file is removed and
// path is left as it was.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	// A unique temporary name: two writers of one path never share one.
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("table: %w", err)
	}
	tmp := f.Name()
	f.Chmod(0o644)
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes the rename durable where the OS supports it; failure only
// weakens crash safety, so it is ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// openFile opens path for reading. A FIFO, device or socket is refused as
// ErrInvalid (still wrapping digest.ErrNotRegular): opening or reading one
// could block forever, and it is bad input, not an I/O failure.
func openFile(path string) (*os.File, fs.FileInfo, error) {
	f, fi, err := digest.OpenRegular(path)
	if errors.Is(err, digest.ErrNotRegular) {
		return nil, nil, fmt.Errorf("table: %w: %w", ErrInvalid, err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("table: %w", err)
	}
	return f, fi, nil
}

// ParquetRows returns the row count recorded in a Parquet file's footer,
// without reading any column data. Corrupt files give ErrInvalid.
func ParquetRows(path string) (n int64, err error) {
	f, _, err := openFile(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	defer recoverInvalid(path, &err)
	rdr, err := file.NewParquetReader(f)
	if err != nil {
		return 0, invalidParquet(path, err)
	}
	return rdr.NumRows(), nil
}

// Load reads a .parquet, .csv or .tsv file (by suffix, case-insensitive) as
// an Arrow table; other suffixes give ErrUnsupported. The caller must
// Release the table.
func Load(path string) (arrow.Table, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv":
		return ReadCSVFile(path)
	case ".parquet":
		return readParquetFile(path)
	default:
		return nil, fmt.Errorf("table: %s: %w", path, ErrUnsupported)
	}
}

func readParquetFile(path string) (tbl arrow.Table, err error) {
	f, _, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer recoverInvalid(path, &err)
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return nil, invalidParquet(path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		return nil, invalidParquet(path, err)
	}
	sc, err := fr.Schema()
	if err != nil {
		return nil, invalidParquet(path, err)
	}
	raw, err := fr.ReadTable(context.Background())
	if err != nil {
		return nil, invalidParquet(path, err)
	}
	defer raw.Release()
	// ReadTable drops the schema metadata; put it back so the pandas key
	// survives a Load → WriteParquet cycle.
	return replaceMetadata(raw, sc.Metadata()), nil
}

func invalidParquet(path string, err error) error {
	return fmt.Errorf("table: %s: %w: %w", path, ErrInvalid, err)
}

// recoverInvalid turns a panic inside the Parquet decoder (possible on
// crafted footers) into ErrInvalid rather than crashing the caller.
func recoverInvalid(path string, err *error) {
	if r := recover(); r != nil {
		e, ok := r.(error)
		if !ok {
			e = errors.New(fmt.Sprint(r))
		}
		*err = invalidParquet(path, e)
	}
}
