package audit

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser returns the path of a Chromium to drive. CI installs Debian's
// chromium and sets LEAKHOUND_REQUIRE_BROWSER, so there a missing browser
// fails the test instead of skipping it.
func browser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("LEAKHOUND_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium on PATH and LEAKHOUND_REQUIRE_BROWSER is set (.ci/run installs Debian's chromium)")
	}
	t.Skip("no chromium on PATH")
	return ""
}

// chrome starts a headless Chromium with its profile in dir, stopped when
// the test ends, and returns its context (90 s at most).
func chrome(t *testing.T, exe, dir string) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900),
		chromedp.Flag("user-data-dir", filepath.Join(dir, "profile")))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// TestHTMLReportInChromium opens the audit page in headless Chromium, as a
// person would open the file: the table shows every secret, the filter
// box, the severity and status selects narrow it, a column header sorts
// it, and a screenshot is kept for a human to look at.
func TestHTMLReportInChromium(t *testing.T) {
	exe := browser(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "audit.html")
	var buf bytes.Buffer
	if err := Write(&buf, "html", sampleReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := chrome(t, exe, dir)

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(js string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	visible := func() (int, string) {
		t.Helper()
		n := eval(`document.querySelectorAll("#secrets tbody tr:not([hidden])").length`)
		shown, err := chromedp.Run(ctx, chromedp.Text(css("#shown")))
		if err != nil {
			t.Fatal(err)
		}
		f, _ := n.(float64)
		return int(f), shown
	}
	column := func(key string) string {
		t.Helper()
		v := eval(`Array.from(document.querySelectorAll("#secrets tbody tr")).map(r => r.dataset.` + key + `).join(",")`)
		s, _ := v.(string)
		return s
	}
	do(chromedp.Navigate("file://"+page), chromedp.WaitVisible(css("#secrets")))
	if n, shown := visible(); n != 3 || shown != "3 of 3 shown" {
		t.Fatalf("on load: %d rows visible (%q), want 3", n, shown)
	}
	if got := column("status"); got != "removed,present,not-in-head" {
		t.Errorf("row statuses = %s, want severity, then still present, then age order", got)
	}

	// Typing in the filter box keeps the rows that mention the text.
	do(chromedp.SendKeys(css("#filter"), "topic"))
	if n, shown := visible(); n != 1 || shown != "1 of 3 shown" {
		t.Errorf("filter 'topic': %d rows (%q), want 1", n, shown)
	}
	// set gives a control a value the way a person's edit would, event
	// included.
	set := func(id, v string) {
		t.Helper()
		eval(`(function(){var s=document.getElementById("` + id + `"); s.value="` + v + `"; return s.dispatchEvent(new Event("change"));})()`)
	}
	set("filter", "a/app.env")
	if n, _ := visible(); n != 1 {
		t.Errorf("filter 'a/app.env': %d rows, want 1", n)
	}
	set("filter", "")
	// The selects narrow by severity and status.
	choose := set
	choose("severity", "high")
	if n, _ := visible(); n != 2 {
		t.Errorf("severity high: %d rows, want 2", n)
	}
	choose("status", "present")
	if n, _ := visible(); n != 1 {
		t.Errorf("severity high and still present: %d rows, want 1", n)
	}
	choose("severity", "")
	choose("status", "")
	// A click on "days exposed" sorts by it, fewest first.
	do(chromedp.Click(css(`th[data-key="days"]`)))
	if got := column("days"); got != "10,60,100" {
		t.Errorf("sorted by days exposed: %s, want 10,60,100", got)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "audit.png")
	if err := os.WriteFile(shot, png, 0o600); err != nil {
		t.Fatal(err)
	}
	if len(png) < 1000 {
		t.Errorf("screenshot is %d bytes", len(png))
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if keep := os.Getenv("LEAKHOUND_SCREENSHOT"); keep != "" {
		_ = os.WriteFile(keep, png, 0o600)
	}
}
