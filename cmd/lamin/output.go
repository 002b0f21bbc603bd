package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	ln "github.com/lamindb-go/lamindb"
)

// printTable prints rows under a header, aligned, without borders: the shape of
// a printed pandas DataFrame, which lamindb users know.
func printTable(w io.Writer, header []string, rows [][]string) {
	t := table.NewWriter()
	style := table.StyleLight
	style.Options = table.OptionsNoBordersAndSeparators
	style.Format.Header = text.FormatDefault
	style.Box.PaddingLeft = ""
	style.Box.PaddingRight = "  "
	t.SetStyle(style)
	hr := make(table.Row, len(header))
	for i, h := range header {
		hr[i] = h
	}
	t.AppendHeader(hr)
	for _, r := range rows {
		tr := make(table.Row, len(r))
		for i, c := range r {
			tr[i] = c
		}
		t.AppendRow(tr)
	}
	// Trailing padding would make transcripts depend on invisible spaces.
	for _, line := range strings.Split(t.Render(), "\n") {
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

// tableChunk is how many rows streamTable lays out like printTable before it
// fixes the column widths and streams the rest.
const tableChunk = 1000

// streamTable prints rows as printTable does; past tableChunk rows it keeps
// the widths of the first chunk and streams the rest, so memory stays flat
// however long the input (wider cells then simply push their line out).
func streamTable(w io.Writer, header []string, rows iter.Seq2[[]string, error]) error {
	var first [][]string
	var widths []int
	var ferr error
	for r, err := range rows {
		if err != nil {
			ferr = err
			break
		}
		if widths == nil && len(first) < tableChunk {
			first = append(first, r)
			continue
		}
		if widths == nil {
			widths = columnWidths(header, first)
			writeFixed(w, header, widths)
			for _, f := range first {
				writeFixed(w, f, widths)
			}
			first = nil
		}
		writeFixed(w, r, widths)
	}
	if widths == nil {
		printTable(w, header, first)
	}
	return ferr
}

func columnWidths(header []string, rows [][]string) []int {
	ws := make([]int, len(header))
	for i, h := range header {
		ws[i] = text.RuneWidthWithoutEscSequences(h)
	}
	for _, r := range rows {
		for i, c := range r {
			ws[i] = max(ws[i], text.RuneWidthWithoutEscSequences(c))
		}
	}
	return ws
}

// writeFixed writes one row in columns of the given widths, two spaces apart.
func writeFixed(w io.Writer, row []string, widths []int) {
	var b strings.Builder
	for i, c := range row {
		b.WriteString(c)
		if i < len(row)-1 {
			b.WriteString(strings.Repeat(" ", max(0, widths[i]-text.RuneWidthWithoutEscSequences(c))+2))
		}
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}

// printRecords prints records as lamindb's to_dataframe() shows them: with rows,
// "id" (the index) first; empty, the columns uid, id, … as an empty frame has.
func printRecords(w io.Writer, fields []string, recs []ln.Record) {
	if len(recs) == 0 {
		header := append([]string{fields[1], "id"}, fields[2:]...)
		printTable(w, header, nil)
		return
	}
	rows := make([][]string, len(recs))
	for i, r := range recs {
		row := make([]string, len(r.Values))
		for j, v := range r.Values {
			row[j] = ln.Text(v)
		}
		rows[i] = row
	}
	printTable(w, fields, rows)
}

func writeCSV(w io.Writer, fields []string, recs []ln.Record) error {
	cw := csv.NewWriter(w)
	cw.Write(fields)
	for _, r := range recs {
		row := make([]string, len(r.Values))
		for j, v := range r.Values {
			if v == nil {
				row[j] = ""
			} else {
				row[j] = ln.Text(v)
			}
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
