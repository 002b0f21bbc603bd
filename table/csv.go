package table

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
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
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("table: %w", err)
	}
	defer f.Close()
	return ReadCSV(bufio.NewReaderSize(f, 1<<16), delimiterFor(path))
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
// The whole input is held in memory. The caller must Release the table.
func ReadCSV(r io.Reader, comma rune) (arrow.Table, error) {
	if comma == '"' || comma == '\r' || comma == '\n' || comma == utf8.RuneError || !utf8.ValidRune(comma) {
		return nil, fmt.Errorf("table: invalid delimiter %q", comma)
	}
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("table: no header row: %w", ErrInvalid)
	}
	if err != nil {
		return nil, csvError(err)
	}
	names := make([]string, len(header))
	for i, h := range header {
		if !utf8.ValidString(h) {
			line, _ := cr.FieldPos(i)
			return nil, &lineError{line: line, err: errBadUTF8}
		}
		if h == "" {
			h = "Unnamed: " + strconv.Itoa(i)
		}
		names[i] = strings.Clone(h)
	}
	if err := checkNames(names); err != nil {
		return nil, err
	}

	cols := make([][]string, len(names))
	kinds := make([]kind, len(names))
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		// encoding/csv backs each record's fields by one fresh string even
		// with ReuseRecord, so keeping the fields is safe and cheap.
		for i, s := range rec {
			if !utf8.ValidString(s) {
				line, _ := cr.FieldPos(i)
				return nil, &lineError{line: line, err: errBadUTF8}
			}
			cols[i] = append(cols[i], s)
			kinds[i] = kinds[i].observe(s)
		}
	}

	rows := 0
	if len(cols) > 0 {
		rows = len(cols[0])
	}
	fields := make([]arrow.Field, len(names))
	arrs := make([]arrow.Array, len(names))
	defer func() {
		for _, a := range arrs {
			if a != nil {
				a.Release()
			}
		}
	}()
	for i := range names {
		a, err := kinds[i].build(cols[i])
		if err != nil {
			return nil, err
		}
		arrs[i] = a
		fields[i] = arrow.Field{Name: names[i], Type: a.DataType(), Nullable: true}
		cols[i] = nil // let the strings go once converted
	}
	return newTable(fields, arrs, int64(rows))
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

// kind tracks which types a column's non-empty cells still fit. The zero
// value (nothing seen) means "all types still possible".
type kind struct {
	notInt, notFloat, notBool bool
}

func (k kind) observe(s string) kind {
	if s == "" {
		return k
	}
	if !k.notInt {
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			k.notInt = true
		}
	}
	if k.notInt && !k.notFloat && !isFloat(s) {
		k.notFloat = true
	}
	if !k.notBool {
		if _, ok := parseBool(s); !ok {
			k.notBool = true
		}
	}
	return k
}

func (k kind) build(vals []string) (arrow.Array, error) {
	allEmpty := true
	for _, s := range vals {
		if s != "" {
			allEmpty = false
			break
		}
	}
	switch {
	case allEmpty:
		// No evidence for any type: string keeps every future value valid.
		return buildString(vals), nil
	case !k.notInt:
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.Reserve(len(vals))
		for _, s := range vals {
			if s == "" {
				b.UnsafeAppendBoolToBitmap(false)
				continue
			}
			v, _ := strconv.ParseInt(s, 10, 64)
			b.UnsafeAppend(v)
		}
		return b.NewArray(), nil
	case !k.notFloat:
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		b.Reserve(len(vals))
		for _, s := range vals {
			if s == "" {
				b.UnsafeAppendBoolToBitmap(false)
				continue
			}
			v, _ := strconv.ParseFloat(s, 64)
			b.UnsafeAppend(v)
		}
		return b.NewArray(), nil
	case !k.notBool:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.Reserve(len(vals))
		for _, s := range vals {
			if s == "" {
				b.AppendNull()
				continue
			}
			v, _ := parseBool(s)
			b.Append(v)
		}
		return b.NewArray(), nil
	default:
		return buildString(vals), nil
	}
}

func buildString(vals []string) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(vals))
	for _, s := range vals {
		if s == "" {
			b.AppendNull()
			continue
		}
		b.Append(s)
	}
	return b.NewArray()
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

// isFloat accepts plain decimal notation (optional sign, digits, point,
// exponent) and nan/inf spellings, but not Go-only forms that
// strconv.ParseFloat allows (hex floats, underscores), which pandas would
// keep as text. An integer too large for int64 is rejected too: as a float it
// would silently lose digits (think of long IDs), so the column stays string.
func isFloat(s string) bool {
	t := s
	if t != "" && (t[0] == '+' || t[0] == '-') {
		t = t[1:]
	}
	switch strings.ToLower(t) {
	case "nan", "inf", "infinity":
		return true
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
		return false
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
			return false
		}
	}
	if i != len(t) {
		return false
	}
	if !point && !hasExp {
		// Integer syntax: fine as float only if it fits int64, else
		// float64 would drop digits.
		_, err := strconv.ParseInt(s, 10, 64)
		return err == nil
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
