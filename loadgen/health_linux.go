//go:build linux

package loadgen

import (
	"bytes"
	"os"
	"strconv"
)

// runQueueWait is the time this process's threads spent runnable but
// waiting for a CPU, summed over /proc/self/task/*/schedstat (the second
// field, in ns; /proc/self/schedstat alone is the main thread's). A thread
// that exits during the run takes its share with it, so this is a lower
// bound; Go rarely ends threads.
func runQueueWait() (ns int64, ok bool) {
	d, err := os.Open("/proc/self/task")
	if err != nil {
		return 0, false
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return 0, false
	}
	var buf [128]byte
	for _, tid := range names {
		f, err := os.Open("/proc/self/task/" + tid + "/schedstat")
		if err != nil {
			continue // the thread ended since the listing
		}
		n, _ := f.Read(buf[:])
		f.Close()
		fields := bytes.Fields(buf[:n])
		if len(fields) < 2 {
			continue
		}
		v, err := strconv.ParseInt(string(fields[1]), 10, 64)
		if err != nil {
			continue
		}
		ns += v
		ok = true
	}
	return ns, ok
}

// machineTimes reads /proc/stat: the machine's CPU time in clock ticks, all
// CPUs together (the first line), and the number of CPUs (the cpuN lines).
func machineTimes() (m machTimes, ok bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return m, false
	}
	line, rest, _ := bytes.Cut(data, []byte{'\n'})
	fields := bytes.Fields(line)
	if len(fields) < 9 || string(fields[0]) != "cpu" {
		return m, false
	}
	// user nice system idle iowait irq softirq steal [guest guest_nice]:
	// guest time is already counted in user and nice.
	var v [8]int64
	for i := range v {
		x, err := strconv.ParseInt(string(fields[1+i]), 10, 64)
		if err != nil {
			return m, false
		}
		v[i] = x
	}
	for _, x := range v {
		m.total += x
	}
	m.idle = v[3] + v[4]
	m.steal = v[7]
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		if len(line) > 3 && string(line[:3]) == "cpu" && line[3] >= '0' && line[3] <= '9' {
			m.cpus++
		}
	}
	return m, m.cpus > 0
}
