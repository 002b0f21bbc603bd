package table

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// lineError reports bad input with its line number and wraps both ErrInvalid
// and the underlying cause, so errors.Is works for either.
type lineError struct {
	line, start int
	err         error
}

// Error returns the message with its line number.
func (e *lineError) Error() string {
	if e.start > 0 && e.start != e.line {
		return fmt.Sprintf("table: line %d (record starting at line %d): %v", e.line, e.start, e.err)
	}
	return fmt.Sprintf("table: line %d: %v", e.line, e.err)
}

// Unwrap returns ErrInvalid and the cause.
func (e *lineError) Unwrap() []error { return []error{ErrInvalid, e.err} }

// errBadUTF8 is the cause for cells that are not valid UTF-8; Arrow strings
// and Parquet UTF8 columns must be valid UTF-8.
var errBadUTF8 = errors.New("invalid UTF-8")

// ReadCSVFile reads a CSV or TSV file, choosing the delimiter from the
// suffix (.tsv → tab, anything else → comma). See ReadCSV for the rules.
// The caller must Release the table.
func ReadCSVFile(path string) (arrow.Table, error) {
	f, _, cr, err := openCSV(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return cr.readTable()
}

// openCSV opens path (a regular file only, see openFile) and reads its
// header; it returns the file's FileInfo from before the header was read.
// The caller closes the file.
func openCSV(path string) (*os.File, fs.FileInfo, *csvReader, error) {
	f, fi, err := openFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	cr, err := newCSVReader(bufio.NewReaderSize(f, 1<<16), delimiterFor(path))
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	return f, fi, cr, nil
}

func delimiterFor(path string) rune {
	if strings.EqualFold(filepath.Ext(path), ".tsv") {
		return '\t'
	}
	return ','
}

// ReadCSV reads delimited text with a header row into an Arrow table. Each
// column's type is inferred over the whole input (not a prefix, so a late
// string cannot break parsing): int64, else float64, else bool
// (true/false, True/False, TRUE/FALSE), else string. Empty cells are null and
// never decide the type; an all-empty column is string. A header-only input
// gives zero rows with string columns; input without a header (empty, or only
// blank lines) is ErrInvalid, as are ragged rows, bad quoting, invalid UTF-8
// and duplicate column names. An empty header name becomes "Unnamed: i" as in
// pandas. A leading UTF-8 byte order mark is skipped.
//
// The whole input is held in memory; CSVToParquet streams a file instead.
// The caller must Release the table.
func ReadCSV(r io.Reader, comma rune) (arrow.Table, error) {
	cr, err := newCSVReader(r, comma)
	if err != nil {
		return nil, err
	}
	return cr.readTable()
}

// readTable reads the remaining records into a table, as ReadCSV documents.
func (c *csvReader) readTable() (arrow.Table, error) {
	cols := make([][]string, len(c.names))
	// encoding/csv backs each record's fields by one fresh string even with
	// ReuseRecord, so keeping the fields is safe and cheap.
	kinds, rows, err := c.infer(context.Background(), func(i int, s string) { cols[i] = append(cols[i], s) })
	if err != nil {
		return nil, err
	}
	fields := csvFields(c.names, kinds)
	arrs := make([]arrow.Array, len(fields))
	defer func() {
		for _, a := range arrs {
			if a != nil {
				a.Release()
			}
		}
	}()
	for i, f := range fields {
		b := array.NewBuilder(mem, f.Type)
		b.Reserve(len(cols[i]))
		for _, s := range cols[i] {
			// observe accepted every cell, so an error is a bug here.
			if err := appendCell(b, s, kinds[i].null); err != nil {
				b.Release()
				return nil, fmt.Errorf("table: column %q: %w", f.Name, err)
			}
		}
		arrs[i] = b.NewArray()
		b.Release()
		cols[i] = nil // let the strings go once converted
	}
	return newTable(fields, arrs, rows)
}

// csvReader reads records after the header, applying the rules ReadCSV
// documents; ReadCSV and both passes of CSVToParquet use it, so they agree
// on names, validation and error messages.
type csvReader struct {
	csv   *csv.Reader
	names []string
}

// newCSVReader checks the delimiter, skips a byte order mark and reads the
// header into names.
func newCSVReader(r io.Reader, comma rune) (*csvReader, error) {
	if comma == '"' || comma == '\r' || comma == '\n' || comma == utf8.RuneError || !utf8.ValidRune(comma) {
		return nil, fmt.Errorf("table: invalid delimiter %q", comma)
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	c := &csvReader{csv: csv.NewReader(br)}
	c.csv.Comma = comma
	c.csv.ReuseRecord = true

	header, err := c.read()
	if err == io.EOF {
		return nil, fmt.Errorf("table: no header row: %w", ErrInvalid)
	}
	if err != nil {
		return nil, err
	}
	c.names = make([]string, len(header))
	for i, h := range header {
		if h == "" {
			h = "Unnamed: " + strconv.Itoa(i)
		}
		c.names[i] = strings.Clone(h)
	}
	if err := checkNames(c.names); err != nil {
		return nil, err
	}
	return c, nil
}

// read returns the next record, valid UTF-8, with as many fields as the
// header; io.EOF at the end. The slice is reused by the next call.
func (c *csvReader) read() ([]string, error) {
	rec, err := c.csv.Read()
	if err == io.EOF {
		return nil, err
	}
	if err != nil {
		return nil, csvError(err)
	}
	for i, s := range rec {
		if !utf8.ValidString(s) {
			return nil, c.fieldError(i, errBadUTF8)
		}
	}
	return rec, nil
}

// infer reads all remaining records and returns each column's kind and the
// number of rows; keep, if not nil, is given every cell. It returns ctx's
// error once ctx ends, checked every streamLimits.batchRows rows.
func (c *csvReader) infer(ctx context.Context, keep func(col int, cell string)) ([]kind, int64, error) {
	kinds := make([]kind, len(c.names))
	var rows int64
	for {
		if rows%streamLimits.batchRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
		}
		rec, err := c.read()
		if err == io.EOF {
			return kinds, rows, nil
		}
		if err != nil {
			return nil, 0, err
		}
		for i, s := range rec {
			kinds[i] = kinds[i].observe(s)
			if keep != nil {
				keep(i, s)
			}
		}
		rows++
	}
}

// fieldError reports err at the line of field i of the last record.
func (c *csvReader) fieldError(i int, err error) error {
	line, _ := c.csv.FieldPos(i)
	return &lineError{line: line, err: err}
}

// csvError converts encoding/csv errors into line-numbered ErrInvalid errors;
// anything else is an I/O failure and is passed through.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &lineError{line: pe.Line, start: pe.StartLine, err: pe.Err}
	}
	return fmt.Errorf("table: reading csv: %w", err)
}

// kind tracks which types a column's non-empty cells still fit, and whether
// it has any non-empty (seen) or empty (null) cell. The zero value (nothing
// seen) means "all types still possible".
type kind struct {
	notInt, notFloat, notBool bool
	seen, null                bool
}

// observe narrows k by one cell. This and dataType are the only place the
// type rules live; appendCell must accept exactly what they let through.
func (k kind) observe(s string) kind {
	if s == "" {
		k.null = true
		return k
	}
	k.seen = true
	if !k.notInt {
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			k.notInt = true
		}
	}
	if k.notInt && !k.notFloat {
		if _, ok := parseFloat(s); !ok {
			k.notFloat = true
		}
	}
	if !k.notBool {
		if _, ok := parseBool(s); !ok {
			k.notBool = true
		}
	}
	return k
}

// dataType is the Arrow type for a column whose cells gave k.
func (k kind) dataType() arrow.DataType {
	switch {
	case !k.seen:
		// No evidence for any type: string keeps every future value valid.
		return arrow.BinaryTypes.String
	case !k.notInt:
		return arrow.PrimitiveTypes.Int64
	case !k.notFloat:
		return arrow.PrimitiveTypes.Float64
	case !k.notBool:
		return arrow.FixedWidthTypes.Boolean
	default:
		return arrow.BinaryTypes.String
	}
}

// csvFields returns the nullable Arrow fields for the inferred columns.
func csvFields(names []string, kinds []kind) []arrow.Field {
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		fields[i] = arrow.Field{Name: n, Type: kinds[i].dataType(), Nullable: true}
	}
	return fields
}

// appendCell appends cell s to b, a builder made for a type from dataType;
// empty cells are null. It fails where the first pass would have decided
// differently: s does not parse as the type, or is empty in a column that had
// no empty cell (nullable false; its pandas dtype would then be wrong, e.g.
// int64 instead of Int64). CSVToParquet relies on this to notice a file that
// changed between its passes.
func appendCell(b array.Builder, s string, nullable bool) error {
	if s == "" {
		if !nullable {
			return errors.New("empty cell where the first pass found none")
		}
		b.AppendNull()
		return nil
	}
	ok := true
	switch b := b.(type) {
	case *array.Int64Builder:
		v, err := strconv.ParseInt(s, 10, 64)
		if ok = err == nil; ok {
			b.Append(v)
		}
	case *array.Float64Builder:
		var v float64
		if v, ok = parseFloat(s); ok {
			b.Append(v)
		}
	case *array.BooleanBuilder:
		var v bool
		if v, ok = parseBool(s); ok {
			b.Append(v)
		}
	case *array.StringBuilder:
		b.Append(s)
	default:
		ok = false
	}
	if !ok {
		return fmt.Errorf("%.40q is not %s", s, b.Type())
	}
	return nil
}

// parseBool accepts only the spellings pandas treats as booleans, unlike
// strconv.ParseBool which would also turn "1"/"t" into bools.
func parseBool(s string) (v, ok bool) {
	switch s {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

// parseFloat accepts plain decimal notation (optional sign, digits, point,
// exponent) and nan/inf spellings, but not Go-only forms that
// strconv.ParseFloat allows (hex floats, underscores), which pandas would
// keep as text. An integer too large for int64 is rejected too: as a float it
// would silently lose digits (think of long IDs), so the column stays string.
// It returns the value too, so each cell is parsed once.
func parseFloat(s string) (float64, bool) {
	t := s
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	// The value is made here, not by strconv.ParseFloat, which rejects some
	// of these spellings ("-nan", non-ASCII case forms) that count as floats.
	switch strings.ToLower(t) {
	case "nan":
		return math.NaN(), true
	case "inf", "infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	i, digits, point := 0, 0, false
	for ; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			goto exp
		}
	}
exp:
	if digits == 0 {
		return 0, false
	}
	hasExp := false
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		hasExp = true
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		start := i
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
		}
		if i == start {
			return 0, false
		}
	}
	if i != len(t) {
		return 0, false
	}
	if !point && !hasExp {
		// Integer syntax: fine as float only if it fits int64, else
		// float64 would drop digits.
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
