package lamindb

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// processOwner names this process in "storing" marks and purge intents as
// host:pid:start, where start is the process start time from /proc, so that a
// reused pid is not mistaken for the process that wrote the mark.
func processOwner() string {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return fmt.Sprintf("%s:%d:%s", host, pid, procStart(pid))
}

func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "0"
	}
	// The command name (field 2) may contain spaces; fields after ')' are fixed.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "0"
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "0"
	}
	return f[19] // field 22: starttime
}

// ownerAlive reports whether the process that wrote a mark may still be working.
// Marks from another host count as alive until they are older than staleAfter.
func ownerAlive(owner string, ageSeconds float64) bool {
	parts := strings.Split(owner, ":")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	if parts[0] != host {
		return ageSeconds < staleAfterSeconds
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil {
		return false
	}
	if pid == os.Getpid() && parts[2] == procStart(pid) {
		return true
	}
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	return procStart(pid) == parts[2]
}

// staleAfterSeconds is how old a mark from another host must be before repair touches it.
const staleAfterSeconds = 24 * 3600
