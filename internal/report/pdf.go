package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// DefaultChromium is Debian's chromium package (scripts/install-test-deps.sh installs it).
const DefaultChromium = "/usr/bin/chromium"

// ErrNoChromium is returned when no Chromium binary is found for the PDF.
var ErrNoChromium = errors.New("report: chromium not found (install Debian's chromium or set CITYREACH_CHROMIUM); ask for formats without pdf")

// Chromium resolves the browser: bin when given, else CHROMIUM-style lookups on PATH.
func Chromium(bin string) (string, error) {
	if bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("%w: %w", ErrNoChromium, err)
		}
		return bin, nil
	}
	if _, err := os.Stat(DefaultChromium); err == nil {
		return DefaultChromium, nil
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// PrintPDF prints the HTML file at htmlPath to pdfPath with headless Chromium, with a fresh
// profile and every network feature off (the page makes no requests anyway). The page's
// CSS sets the page sizes (A4, landscape pages for wide tables) and the running header and
// page numbers (@page margin boxes); the PDF gets an outline (bookmarks) of the headings.
// Cancelling ctx kills the browser.
func PrintPDF(ctx context.Context, chromium, htmlPath, pdfPath string) error {
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		return err
	}
	out, err := filepath.Abs(pdfPath)
	if err != nil {
		return err
	}
	profile, err := os.MkdirTemp("", "cityreach-chromium-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile) //nolint:errcheck // best-effort clean-up of a temporary directory
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--no-pdf-header-footer", "--generate-pdf-document-outline", "--user-data-dir="+profile, "--print-to-pdf="+out, "file://"+abs)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "HOME="+profile)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("chromium: %w: %s", err, tail(stderr.String(), 600))
	}
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		return fmt.Errorf("chromium wrote no PDF: %s", tail(stderr.String(), 600))
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
