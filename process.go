package lamindb

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// processOwner names this process in "storing" marks and purge intents as
// host:pid:start:boot:pidns — start is the process start time from /proc, so
// that a reused pid is not mistaken for the process that wrote the mark; boot
// is the kernel's boot id (a mark from before a reboot has no live owner); pidns
// is the pid namespace, since a pid means nothing in another one (a container
// that shares the host name).
func processOwner() string {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return fmt.Sprintf("%s:%d:%s:%s:%s", host, pid, procStart(pid), bootID(), pidNamespace())
}

// bootID is the kernel's boot id, or "".
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// pidNamespace names this process's pid namespace (its inode), or "".
func pidNamespace() string {
	l, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return strings.Trim(strings.TrimPrefix(l, "pid:"), "[]")
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
// Marks from another host, or from another pid namespace of this one, count
// as alive until they are older than staleAfter: their process cannot be seen.
// Marks of earlier releases (host:pid:start) are judged by their pid.
func ownerAlive(owner string, ageSeconds float64) bool {
	parts := strings.Split(owner, ":")
	if len(parts) != 3 && len(parts) != 5 {
		return false
	}
	host, _ := os.Hostname()
	if parts[0] != host {
		return ageSeconds < staleAfterSeconds
	}
	if len(parts) == 5 {
		if boot := bootID(); boot != "" && parts[3] != "" && parts[3] != boot {
			return false // written before this machine last booted
		}
		if ns := pidNamespace(); parts[4] != ns {
			return ageSeconds < staleAfterSeconds
		}
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
