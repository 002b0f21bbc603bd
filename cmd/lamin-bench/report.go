package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/lamindb-go/lamindb/internal/stress"
)

// results is what --json writes.
type results struct {
	N     int           `json:"N"`
	Dir   string        `json:"dir"`
	Steps []stepResult  `json:"steps"`
	Scale []scaleResult `json:"scale,omitempty"`
	Hash  []hashResult  `json:"hash,omitempty"`

	Stress *stress.Report     `json:"stress,omitempty"`
	Bulk   *stress.BulkReport `json:"bulk,omitempty"`
	Log    *logResult         `json:"log,omitempty"`
}

// printTable prints step, our seconds, the reference's (disk) and the ratio.
func printTable(steps []stepResult) {
	fmt.Printf("\n%-18s %12s %12s %10s\n", "step", "seconds", "ref (disk)", "ref/ours")
	for _, s := range steps {
		ref, ok := refDisk[s.Step]
		if !ok {
			fmt.Printf("%-18s %12.6f %12s %10s\n", s.Step, s.Seconds, "-", "-")
			continue
		}
		fmt.Printf("%-18s %12.6f %12.3f %9.1f×\n", s.Step, s.Seconds, ref, ref/s.Seconds)
	}
}

func writeJSON(path string, r *results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
