package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNoField: a /proc file did not have the field asked for.
var ErrNoField = errors.New("bench: field not found")

// Machine describes where the figures were measured.
type Machine struct {
	CPU   string // CPU model name, "unknown" when it cannot be read
	Cores int    // logical CPUs this process may use
	RAM   int64  // bytes of physical memory, 0 when unknown
	Go    string // Go version, OS and architecture
}

// ThisMachine reads /proc/cpuinfo and /proc/meminfo (Linux); elsewhere the
// CPU and RAM are left unknown.
func ThisMachine() Machine {
	m := Machine{CPU: "unknown", Cores: runtime.GOMAXPROCS(0),
		Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		if v, err := procText(f, "model name"); err == nil {
			m.CPU = cleanCPU(v)
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		if kb, err := procKB(f, "MemTotal"); err == nil {
			m.RAM = kb << 10
		}
		f.Close()
	}
	return m
}

// String is the long description printed above the table.
func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores, %s RAM, %s", m.CPU, m.Cores, gib(m.RAM), m.Go)
}

// Short is the table's machine column.
func (m Machine) Short() string {
	return fmt.Sprintf("%s, %d cores, %s", m.CPU, m.Cores, gib(m.RAM))
}

func gib(n int64) string {
	if n <= 0 {
		return "? GiB"
	}
	return fmt.Sprintf("%.0f GiB", float64(n)/(1<<30))
}

func cleanCPU(s string) string {
	for _, junk := range []string{"(R)", "(TM)", "(tm)"} {
		s = strings.ReplaceAll(s, junk, "")
	}
	return strings.Join(strings.Fields(s), " ")
}

// procText returns the value of the first "key: value" line in r (the
// format of /proc/cpuinfo, /proc/meminfo and /proc/<pid>/status).
func procText(r io.Reader, key string) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("bench: read %s: %w", key, err)
	}
	return "", fmt.Errorf("%w: %s", ErrNoField, key)
}

// procKB reads a "Key:   1234 kB" field as kibibytes.
func procKB(r io.Reader, key string) (int64, error) {
	v, err := procText(r, key)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bench: %s: not a number of kB: %w", key, err)
	}
	return n, nil
}

// Memory is a reading of this process's resident memory, in bytes.
type Memory struct {
	RSS  int64 // VmRSS: everything resident
	Anon int64 // RssAnon: heaps, stacks, caches held by the process
	File int64 // RssFile: file pages mapped in (SQLite's mmap), which the kernel may drop
}

// selfMemory reads /proc/self/status.
func selfMemory() (Memory, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return Memory{}, fmt.Errorf("bench: resident memory: %w", err)
	}
	var m Memory
	for _, f := range []struct {
		key string
		dst *int64
	}{{"VmRSS", &m.RSS}, {"RssAnon", &m.Anon}, {"RssFile", &m.File}} {
		kb, err := procKB(bytes.NewReader(data), f.key)
		if err != nil {
			return Memory{}, err
		}
		*f.dst = kb << 10
	}
	return m, nil
}

// loadAverage is the one-minute load average, -1 when unknown.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return -1
	}
	f, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return -1
	}
	return f
}

// memSampler records the reading with the largest RSS seen while it runs.
type memSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak Memory
	err  error
}

// sampleMemory reads memory every interval until Stop.
func sampleMemory(ctx context.Context, interval time.Duration) *memSampler {
	s := &memSampler{stop: make(chan struct{})}
	s.done.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			m, err := selfMemory()
			if err != nil {
				s.err = err
				return
			}
			if m.RSS > s.peak.RSS {
				s.peak = m
			}
			select {
			case <-t.C:
			case <-s.stop:
				return
			case <-ctx.Done():
				return
			}
		}
	})
	return s
}

// Stop ends sampling and returns the reading with the peak RSS.
func (s *memSampler) Stop() (Memory, error) {
	close(s.stop)
	s.done.Wait()
	return s.peak, s.err
}
