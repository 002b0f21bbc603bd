package table

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// memPeakLimit is the peak RSS that TestCSVToParquetMemory tolerates for a
// conversion of any size.
const memPeakLimit = 256 << 20

// TestCSVToParquetMemory converts a generated CSV of LAMIN_CSV_MEM_BYTES
// bytes in a child process and fails if the child's peak RSS reaches
// memPeakLimit. Peak RSS belongs to a whole process, so the conversion runs
// alone in a re-executed test binary (TestCSVToParquetMemoryChild) and the
// figure is its rusage maxrss, which Linux reports in KiB.
func TestCSVToParquetMemory(t *testing.T) {
	v := os.Getenv("LAMIN_CSV_MEM_BYTES")
	if v == "" {
		t.Skip("set LAMIN_CSV_MEM_BYTES (e.g. 1073741824) to measure CSVToParquet's peak RSS")
	}
	size, err := strconv.ParseInt(v, 10, 64)
	if err != nil || size <= 0 {
		t.Fatalf("LAMIN_CSV_MEM_BYTES=%q: want a positive byte count", v)
	}
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "big.csv"), filepath.Join(dir, "big.parquet")
	start := time.Now()
	rows := writeBigCSV(t, src, size)
	st, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	size = st.Size() // the last row may not have fitted
	t.Logf("generated %s: %d bytes, %d rows in %v", filepath.Base(src), size, rows, time.Since(start).Round(time.Millisecond))

	cmd := exec.Command(os.Args[0], "-test.run=^TestCSVToParquetMemoryChild$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), "LAMIN_CSV_MEM_SRC="+src, "LAMIN_CSV_MEM_DST="+dst)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start = time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out.Bytes())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no rusage for the child")
	}
	peak := ru.Maxrss << 10
	pf, err := file.OpenParquetFile(dst, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if st, err = os.Stat(dst); err != nil {
		t.Fatal(err)
	}
	t.Logf("CSVToParquet: %d bytes CSV -> %d bytes Parquet, %d rows in %d row groups; wall %v (%.0f MiB/s), user %v, sys %v; peak RSS %.1f MiB",
		size, st.Size(), pf.NumRows(), pf.NumRowGroups(), wall.Round(time.Millisecond), float64(size)/(1<<20)/wall.Seconds(),
		time.Duration(syscall.TimevalToNsec(ru.Utime)).Round(time.Millisecond), time.Duration(syscall.TimevalToNsec(ru.Stime)).Round(time.Millisecond),
		float64(peak)/(1<<20))
	if pf.NumRows() != rows {
		t.Errorf("Parquet has %d rows, CSV %d", pf.NumRows(), rows)
	}
	if peak >= memPeakLimit {
		t.Errorf("peak RSS %.1f MiB, want under %d MiB", float64(peak)/(1<<20), memPeakLimit>>20)
	}
}

// TestCSVToParquetMemoryChild is the child process of TestCSVToParquetMemory.
func TestCSVToParquetMemoryChild(t *testing.T) {
	src, dst := os.Getenv("LAMIN_CSV_MEM_SRC"), os.Getenv("LAMIN_CSV_MEM_DST")
	if src == "" || dst == "" {
		t.Skip("only run by TestCSVToParquetMemory")
	}
	if _, err := CSVToParquet(t.Context(), src, dst); err != nil {
		t.Fatal(err)
	}
}

// writeBigCSV writes about size bytes of CSV to path and returns its row
// count: an int64, a float64, a string with 1000 distinct values and a bool,
// each cell empty one time in 50. A fixed seed makes runs comparable.
func writeBigCSV(t *testing.T, path string, size int64) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	names := make([]string, 1000)
	for i := range names {
		names[i] = "sample_" + strconv.Itoa(i*7919)
	}
	header := "id,value,sample,flag\n"
	w.WriteString(header)
	written, rows := int64(len(header)), int64(0)
	var line []byte
	for {
		line = line[:0]
		if rng.IntN(50) != 0 {
			line = strconv.AppendInt(line, rng.Int64N(1e12)-5e11, 10)
		}
		line = append(line, ',')
		if rng.IntN(50) != 0 {
			line = strconv.AppendFloat(line, rng.NormFloat64()*1e3, 'f', 4, 64)
		}
		line = append(line, ',')
		if rng.IntN(50) != 0 {
			line = append(line, names[rng.IntN(len(names))]...)
		}
		line = append(line, ',')
		if rng.IntN(50) != 0 {
			line = strconv.AppendBool(line, rng.IntN(2) == 0)
		}
		line = append(line, '\n')
		if written+int64(len(line)) > size {
			break
		}
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
		written += int64(len(line))
		rows++
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return rows
}
