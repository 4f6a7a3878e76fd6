// Command score prints the precision and recall of one or more scanners'
// JSON reports against a labeled corpus's truth file, side by side.
//
//	go run ./bench/score [-v] TRUTH ROOT NAME=REPORT.json [NAME=REPORT.json...]
//
// ROOT is the scanned folder as the reports name it (leading path prefix
// to strip). -v also lists every miss and false positive.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/leakhound/leakhound/internal/accuracy"
)

func main() {
	verbose := flag.Bool("v", false, "list misses and false positives")
	flag.Parse()
	args := flag.Args()
	if len(args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: score [-v] TRUTH ROOT NAME=REPORT.json...")
		os.Exit(2)
	}
	if err := run(args[0], args[1], args[2:], *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "score:", err)
		os.Exit(2)
	}
}

func run(truthPath, root string, reports []string, verbose bool) error {
	tf, err := os.Open(truthPath)
	if err != nil {
		return err
	}
	defer tf.Close()
	truth, err := accuracy.ParseTruth(tf, truthPath)
	if err != nil {
		return err
	}
	var names []string
	var scores []accuracy.Score
	for _, arg := range reports {
		name, path, ok := strings.Cut(arg, "=")
		if !ok {
			return fmt.Errorf("%q: want NAME=REPORT.json", arg)
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		hits, err := accuracy.ParseReport(f, root)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		names = append(names, name)
		scores = append(scores, accuracy.Evaluate(truth, hits))
	}
	accuracy.WriteTable(os.Stdout, names, scores)
	if verbose {
		for i, s := range scores {
			fmt.Printf("\n%s misses:\n", names[i])
			for _, m := range s.Misses {
				fmt.Printf("  %s:%d %s\n", m.Path, m.Line, m.Label)
			}
			fmt.Printf("%s false positives:\n", names[i])
			for _, h := range s.FalsePositives {
				fmt.Printf("  %s:%d %s\n", h.Path, h.Line, h.Rule)
			}
		}
	}
	return nil
}
