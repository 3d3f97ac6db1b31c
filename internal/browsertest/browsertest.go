// Package browsertest drives Debian's Chromium, headless, through chromedp for
// the browser tests of the docs site and the Dashboard. A Browser records
// every console error, uncaught exception, failed request and HTTP error
// response of the pages it visits, so a test can demand that a page is clean,
// and writes screenshots into one output folder.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Height is the viewport height of every screenshot.
const Height = 800

// Browser is one headless Chromium with one tab.
type Browser struct {
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

// ExecPath returns Chromium's path, or "" when it is not installed.
func ExecPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts Chromium for the test and stops it when the test ends. Without
// Chromium the test is skipped on a laptop, and fails in CI (CI=true), where
// scripts/deps must have installed it.
func New(t *testing.T) *Browser {
	t.Helper()
	path := ExecPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("browsertest: Chromium is not installed; scripts/deps installs it")
		}
		t.Skip("browsertest: Chromium is not installed (run scripts/deps); skipping the browser test")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		// This machine's network is closed: without these, Chromium keeps
		// trying to reach Google's hosts.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, Height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	b := &Browser{ctx: ctx}
	// Listen starts Chromium and its tab.
	if err := chromedp.Listen(ctx, b.observe); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("browsertest: start Chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	return b
}

func (b *Browser) observe(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			b.add("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.add("uncaught exception: %s (%s:%d)", msg, d.URL, d.LineNumber)
	case *log.EventEntryAdded:
		// CSP violations and failed loads are reported here.
		if ev.Entry.Level == log.EntryLevelError {
			b.add("log %s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *network.EventLoadingFailed:
		if !ev.Canceled {
			b.add("request failed: %s (%s)", ev.ErrorText, ev.BlockedReason)
		}
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			b.add("HTTP %d for %s", ev.Response.Status, ev.Response.URL)
		}
	}
}

func (b *Browser) add(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// Timeout bounds every call, so that a page that never loads fails the test
// instead of hanging it.
const Timeout = 30 * time.Second

// Run runs actions in the tab, failing the test on error.
func (b *Browser) Run(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browsertest: %v", err)
	}
}

// Get runs one action that returns a value, such as chromedp.Text or
// chromedp.Evaluate, failing the test on error.
func Get[T any](t *testing.T, b *Browser, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	return v
}

// Problems returns what went wrong in the pages since the last call, and
// forgets it.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// CheckClean fails the test if any console error, exception, failed request
// or HTTP error response happened since the last check; where names the page.
func (b *Browser) CheckClean(t *testing.T, where string) {
	t.Helper()
	// Events arrive asynchronously; give the last ones a moment.
	time.Sleep(100 * time.Millisecond)
	for _, p := range b.Problems() {
		t.Errorf("%s: %s", where, p)
	}
}

// ColorScheme makes the pages' prefers-color-scheme media feature "light"
// or "dark"; "" restores the system's.
func (b *Browser) ColorScheme(t *testing.T, scheme string) {
	t.Helper()
	params := emulation.SetEmulatedMediaParams{}
	if scheme != "" {
		params.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	}
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, params); err != nil {
		t.Fatalf("browsertest: emulate prefers-color-scheme %q: %v", scheme, err)
	}
}

// Screenshot sets the viewport to width×Height, captures the page as shown
// (not the full scroll height) and writes it as <name>-<width>.png into
// OutputDir. It returns the file's path.
func (b *Browser) Screenshot(t *testing.T, name string, width int) string {
	t.Helper()
	b.Run(t, chromedp.EmulateViewport(int64(width), Height))
	png := Get(t, b, chromedp.CaptureScreenshot())
	dir := OutputDir(t)
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("browsertest: write screenshot: %v", err)
	}
	return path
}

// OutputDir is where screenshots go: $DOCSAPI_TEST_OUTPUT, else testoutput/
// at the repository's root (git-ignored). It is created when missing.
func OutputDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DOCSAPI_TEST_OUTPUT")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatalf("browsertest: %v", err)
		}
		dir = filepath.Join(root, "testoutput", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	return dir
}

// repoRoot walks up from the test's working directory (its package) to the
// folder holding the server's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/docsapi/docsapi\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of github.com/docsapi/docsapi above the working directory")
		}
		dir = parent
	}
}
