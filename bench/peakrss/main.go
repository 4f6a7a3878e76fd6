// Command peakrss runs a command and prints its wall time and the peak of
// the summed resident memory of the command and all its descendants, as
// "SECONDS PEAK_KB" on stderr's last line. /usr/bin/time reports only the
// largest single process, which hides a scanner's git children; a
// benchmark that compares memory must count every process. Linux only: it
// samples /proc every 10 ms, so a spike shorter than that can be missed.
//
//	go run ./bench/peakrss -- leakhound git REPO
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: peakrss [--] COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(2)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak int64
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			elapsed := time.Since(start)
			fmt.Fprintf(os.Stderr, "%.3f %d\n", elapsed.Seconds(), peak)
			if err != nil {
				if ee, ok := err.(*exec.ExitError); ok {
					os.Exit(ee.ExitCode())
				}
				os.Exit(2)
			}
			return
		case <-tick.C:
			if rss := treeRSS(cmd.Process.Pid); rss > peak {
				peak = rss
			}
		}
	}
}

// treeRSS sums VmRSS (kB) over pid and its descendants.
func treeRSS(root int) int64 {
	children := map[int][]int{}
	rss := map[int]int64{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		close := bytes.LastIndexByte(data, ')')
		if close < 0 {
			continue
		}
		f := bytes.Fields(data[close+1:])
		if len(f) < 2 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		ppid, _ := strconv.Atoi(string(f[1]))
		children[ppid] = append(children[ppid], pid)
		rss[pid] = statusRSS(pid)
	}
	var sum int64
	stack := []int{root}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		sum += rss[p]
		stack = append(stack, children[p]...)
	}
	return sum
}

func statusRSS(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	i := bytes.Index(data, []byte("VmRSS:"))
	if i < 0 {
		return 0
	}
	f := bytes.Fields(data[i+len("VmRSS:"):])
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(f[0]), 10, 64)
	return n
}
