package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakhound/leakhound/internal/testkit"
)

// TestMaskReplacesSecretsOnly: every secret becomes ***, every other byte
// (binary junk, invalid UTF-8, CRLF) passes through as it was.
func TestMaskReplacesSecretsOnly(t *testing.T) {
	cfg := writeConfig(t, tokRule)
	in := "start " + testkit.TokA + " end\r\n" +
		"\x00\xff\xfe junk \x01 " + testkit.TokB + "\n" +
		"no secret here\n" +
		"two: " + testkit.TokA + "," + testkit.TokB + "\n" +
		"last line without newline " + testkit.TokA
	want := "start *** end\r\n\x00\xff\xfe junk \x01 ***\nno secret here\ntwo: ***,***\nlast line without newline ***"
	r := runCLI(t, in, "mask", "--config", cfg)
	if r.code != ExitClean || r.stdout != want {
		t.Fatalf("exit %d, output\n%q\nwant\n%q", r.code, r.stdout, want)
	}
	r = runCLI(t, "x "+testkit.TokA+"\n", "mask", "--config", cfg, "--show-rule", "--exit-code", "3")
	if r.code != 3 || r.stdout != "x ***test-token***\n" {
		t.Errorf("--show-rule --exit-code 3: exit %d, %q", r.code, r.stdout)
	}
}

// TestMaskEndlessLine: a line of megabytes is written in pieces, and a
// secret anywhere in it, also across a piece boundary, is masked.
func TestMaskEndlessLine(t *testing.T) {
	cfg := writeConfig(t, tokRule)
	var in, want strings.Builder
	for _, at := range []int{10, maskPiece - 5, 2*maskPiece - 8, 3*maskPiece + 100, 20 * maskPiece} {
		for in.Len() < at {
			in.WriteString("y ")
			want.WriteString("y ")
		}
		in.WriteString(testkit.TokA + " ")
		want.WriteString("*** ")
	}
	r := runCLI(t, in.String(), "mask", "--config", cfg)
	if r.code != ExitClean || r.stdout != want.String() {
		t.Fatalf("exit %d; output of %d bytes differs from the expected %d (secret left: %v)",
			r.code, len(r.stdout), want.Len(), strings.Contains(r.stdout, testkit.TokA))
	}
}

// TestMaskWritesEachLineAtOnce: with a live log (the writer has not
// finished), each line is on stdout before the next one is written.
func TestMaskWritesEachLineAtOnce(t *testing.T) {
	cfg := writeConfig(t, tokRule)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		var stderr bytes.Buffer
		done <- Run(context.Background(), []string{"mask", "--config", cfg}, Env{Stdin: inR, Stdout: outW, Stderr: &stderr})
		outW.Close()
	}()
	lines := bufio.NewReader(outR)
	for i, line := range []string{"one " + testkit.TokA + "\n", "two\n", "three " + testkit.TokB + "\n"} {
		if _, err := io.WriteString(inW, line); err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() { s, _ := lines.ReadString('\n'); got <- s }()
		select {
		case s := <-got:
			if strings.Contains(s, "tok_") || !strings.HasSuffix(s, "\n") {
				t.Errorf("line %d = %q", i+1, s)
			}
		case <-time.After(time.Minute): // a hang, not a timing
			t.Fatalf("line %d was held back until more input came", i+1)
		}
	}
	inW.Close()
	if code := <-done; code != ExitClean {
		t.Errorf("exit %d", code)
	}
}

// TestMaskReport: --report-path says what was masked, where, and by which
// rule, without the secrets unless --no-redact.
func TestMaskReport(t *testing.T) {
	cfg := writeConfig(t, tokRule)
	out := filepath.Join(t.TempDir(), "masked.json")
	r := runCLI(t, "a\nb "+testkit.TokA+"\n", "mask", "--config", cfg, "--report-path", out, "--report-format", "json")
	if r.code != ExitClean || r.stdout != "a\nb ***\n" {
		t.Fatalf("exit %d, %q", r.code, r.stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var fs []struct {
		RuleID string `json:"rule_id"`
		Line   int    `json:"start_line"`
		Secret string
	}
	if err := json.Unmarshal(data, &fs); err != nil || len(fs) != 1 || fs[0].Line != 2 || fs[0].RuleID != "test-token" || fs[0].Secret == testkit.TokA {
		t.Errorf("report %s (%v)", data, err)
	}
}
