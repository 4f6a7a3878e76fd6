// Command creddata rebuilds part of Samsung's CredData benchmark from the
// repositories it was made from, and scores scanners' JSON reports against
// its line labels.
//
//	go run ./bench/creddata rebuild -creddata DIR -repos LIST.tsv -mirror DIR -out OUT [-raw]
//	go run ./bench/creddata score -out OUT [-v] [-rules] NAME=REPORT.json...
//
// rebuild reads CredData's meta/<repo>.csv for every repository in LIST
// (tab-separated: repo_id, repository, commit), takes each labeled file at
// that commit from a local git directory (MIRROR/owner+name/repo, as the
// fetch tool leaves it, MIRROR/owner+name.git or MIRROR/owner/name), or
// fetches the commit from GitHub when none is there, and writes it where
// CredData's download_data.py would: OUT/data/<repo>/<scope>/<file id><ext>.
// Then, unless -raw, it runs CredData's own obfuscate_creds.py over OUT so
// that the files hold CredData's fake values in place of the real ones, as
// the published benchmark does. OUT/meta holds the labels of the files that
// were found; labels of files the repository no longer had are counted and
// left out.
//
// score applies CredData's 2021/22 line rule: a finding on a labeled line
// counts as a true positive when the label is T and as a false positive
// when it is F or X; a finding on an unlabeled line is left out; every T
// label no finding reaches is a miss. It prints precision, recall and F1
// overall, per CredData category and per confidence level.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "rebuild":
		err = rebuildCmd(os.Args[2:])
	case "score":
		err = scoreCmd(os.Args[2:], os.Stdout)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "creddata:", err)
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  creddata rebuild -creddata DIR -repos LIST.tsv [-mirror DIR] -out OUT [-raw]
  creddata score -out OUT [-v] [-rules] NAME=REPORT.json...`)
	os.Exit(2)
}
