package server_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"carerecord/internal/server/servertest"
)

// chromium finds Debian's headless-capable Chromium. Browser tests skip
// without it on a user's machine and fail under CI=true, where .ci/run
// installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CARERECORD_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but no Chromium found (apt-get install chromium, or set CARERECORD_CHROMIUM)")
	}
	t.Skip("skipping the browser test: no Chromium found (apt-get install chromium, or set CARERECORD_CHROMIUM)")
	return ""
}

// browser starts a headless Chromium for one test, with the flags that keep
// it off the network beyond localhost, and returns a context for its
// actions that gives up after a minute.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first action starts the browser, whose life is that context's: a
	// timeout goes only on the contexts derived after it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(cancel)
	return tctx
}

// bodyText is the text of the page now loaded. It is read by script rather
// than through a DOM node: a node id looked up while Chromium is still
// swapping in a JSON page's document can already be gone (a flaky
// "No node with given id found").
var bodyText = chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)

// TestHomePageInBrowser opens the landing page of a demo server in a real
// browser, checks it reports the population and the API base, and follows
// its example link to the patient found by NHS number.
func TestHomePageInBrowser(t *testing.T) {
	srv := servertest.Start(t, servertest.WithDemo(5, 7))
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL()+"/")); err != nil {
		t.Fatal(err)
	}
	title, err1 := chromedp.Run(ctx, chromedp.Title())
	intro, err2 := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body > p")))
	base, err3 := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("li code")))
	link, err4 := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`a[href*="identifier="]`), "href"))
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	if title != "carerecord" {
		t.Errorf("title %q, want carerecord", title)
	}
	if !strings.Contains(strings.ToLower(intro), "sqlite") || strings.Contains(intro, " 0 FHIR resources") {
		t.Errorf("intro %q should name the SQLite store and a non-empty population", intro)
	}
	if base != srv.FHIR {
		t.Errorf("base URL shown %q, want %q", base, srv.FHIR)
	}
	if !link.Exists {
		t.Fatal("no example patient link on the home page")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(link.Value)); err != nil {
		t.Fatal(err)
	}
	page, err := chromedp.Run(ctx, bodyText)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, `"type":"searchset"`) || !strings.Contains(page, `"resourceType":"Patient"`) ||
		!strings.Contains(page, "https://fhir.nhs.uk/Id/nhs-number") {
		t.Errorf("the example link did not find the patient: %.300s", page)
	}
}

// TestHomePageSearchesInBrowser follows every search link of the demo's
// home page in the browser: each answers a Bundle with at least one
// resource, so the demo shows each kind of search working.
func TestHomePageSearchesInBrowser(t *testing.T) {
	srv := servertest.Start(t, servertest.WithDemo(20, 7))
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL()+"/")); err != nil {
		t.Fatal(err)
	}
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('a')).map(a => a.href).filter(h => h.includes('?') || h.includes('$everything'))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(links) < 7 {
		t.Fatalf("%d search links on the home page, want the 7 examples: %q", len(links), links)
	}
	for _, l := range links {
		if err := chromedp.Do(ctx, chromedp.Navigate(l)); err != nil {
			t.Fatal(err)
		}
		page, err := chromedp.Run(ctx, bodyText)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page, `"resourceType":"Bundle"`) || !strings.Contains(page, `"fullUrl"`) {
			t.Errorf("%s: no resources: %.300s", l, page)
		}
	}
}
