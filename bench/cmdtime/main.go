// Command cmdtime times short commands side by side: each command runs once
// as a warm-up and then RUNS times, interleaved (the order is reversed every
// other round so that none always runs first), and it prints each one's
// median and fastest wall time and the ratio of each median to the first
// command's. It starts the processes itself, so the times hold no shell or
// `date` process: what a hook costs, measured to a tenth of a millisecond.
//
//	cmdtime [-dir DIR] [-runs N] [-ok CODES] -- NAME CMD [ARG...] [-- NAME CMD [ARG...]]...
//
// Exit codes listed in -ok (default "0,1": 1 is "findings") count as a run;
// any other ends the measurement with an error. For people on a quiet
// machine only: CI never runs it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

type command struct {
	name  string
	argv  []string
	times []time.Duration
}

func main() {
	dir := flag.String("dir", ".", "folder the commands run in")
	runs := flag.Int("runs", 21, "timed runs of each command")
	okCodes := flag.String("ok", "0,1", "exit codes that count as a run")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: cmdtime [-dir DIR] [-runs N] [-ok CODES] -- NAME CMD [ARG...] [-- NAME CMD [ARG...]]...")
		flag.PrintDefaults()
	}
	flag.Parse()
	// flag.Parse consumes the first "--".
	cmds, err := parse(append([]string{"--"}, flag.Args()...))
	if err != nil || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ok := map[int]bool{}
	for _, c := range strings.Split(*okCodes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil {
			fmt.Fprintf(os.Stderr, "cmdtime: -ok %q: %v\n", *okCodes, err)
			os.Exit(2)
		}
		ok[n] = true
	}
	for i := 0; i <= *runs; i++ {
		order := slices.Clone(cmds)
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, c := range order {
			d, err := runOnce(*dir, c.argv, ok)
			if err != nil {
				fmt.Fprintf(os.Stderr, "cmdtime: %s: %v\n", c.name, err)
				os.Exit(1)
			}
			if i > 0 { // run 0 is the warm-up
				c.times = append(c.times, d)
			}
		}
	}
	base := median(cmds[0].times)
	for _, c := range cmds {
		m := median(c.times)
		fmt.Printf("%-12s median %7.1f ms  fastest %7.1f ms  ratio to %s %.2f\n",
			c.name, ms(m), ms(slices.Min(c.times)), cmds[0].name, float64(m)/float64(base))
	}
}

func parse(args []string) ([]*command, error) {
	var cmds []*command
	for len(args) > 0 {
		if args[0] != "--" {
			return nil, errors.New("expected --")
		}
		args = args[1:]
		end := slices.Index(args, "--")
		if end < 0 {
			end = len(args)
		}
		if end < 2 {
			return nil, errors.New("each -- needs a name and a command")
		}
		cmds = append(cmds, &command{name: args[0], argv: args[1:end]})
		args = args[end:]
	}
	if len(cmds) == 0 {
		return nil, errors.New("no command")
	}
	return cmds, nil
}

func runOnce(dir string, argv []string, ok map[int]bool) (time.Duration, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ok[ee.ExitCode()] {
		err = nil
	}
	return d, err
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
