package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestMergedHTMLInChromium opens the merged worklist in headless Chromium:
// every secret is a row, the filter box and the "reused only" box narrow
// the table, a column header sorts it, and the inputs table lists the
// broken input.
func TestMergedHTMLInChromium(t *testing.T) {
	exe := browser(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "merge.html")
	reps := mergeInputs()
	m := merge(t, reps, map[string][]byte{"broken": []byte("{")}, false, "shop", "billing", "ops", "broken")
	var buf bytes.Buffer
	if err := WriteMerged(&buf, "html", m, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := chrome(t, exe, dir)

	eval := func(js string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	visible := func() int {
		t.Helper()
		f, _ := eval(`document.querySelectorAll("#secrets tbody tr:not([hidden])").length`).(float64)
		return int(f)
	}
	column := func(key string) string {
		t.Helper()
		s, _ := eval(`Array.from(document.querySelectorAll("#secrets tbody tr")).map(r => r.dataset.` + key + `).join(",")`).(string)
		return s
	}
	set := func(id, js string) {
		t.Helper()
		eval(`(function(){var s=document.getElementById("` + id + `"); ` + js + `; return s.dispatchEvent(new Event("change"));})()`)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("#secrets"))); err != nil {
		t.Fatal(err)
	}
	if n := visible(); n != 4 {
		t.Fatalf("on load: %d rows visible, want 4", n)
	}
	if got := column("repos"); got != "2,2,1,1" {
		t.Errorf("repositories per row = %s, want the order to rotate in", got)
	}
	set("reused", "s.checked=true")
	if n := visible(); n != 2 {
		t.Errorf("reused only: %d rows, want 2", n)
	}
	set("reused", "s.checked=false")
	set("filter", `s.value="deploy/prod.env"`)
	if n := visible(); n != 1 {
		t.Errorf("filter by billing's path: %d rows, want 1", n)
	}
	set("filter", `s.value=""`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`th[data-key="days"]`))); err != nil {
		t.Fatal(err)
	}
	if got := column("days"); got != "10,40,60,100" {
		t.Errorf("sorted by days exposed: %s, want 10,40,60,100", got)
	}
	if s, _ := eval(`document.querySelector('#inputs tr[data-state="error"]') ? "yes" : "no"`).(string); s != "yes" {
		t.Error("the broken input is not in the inputs table")
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil || len(png) < 1000 {
		t.Fatalf("screenshot: %d bytes, %v", len(png), err)
	}
	shot := filepath.Join(dir, "merge.png")
	if err := os.WriteFile(shot, png, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
}
