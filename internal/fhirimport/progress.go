package fhirimport

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress draws the import's progress bar: files by size on disk (which
// drives the ETA) with the resource count and rate in the description.
type progress struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	start time.Time
	files int
	done  int
}

func newProgress(w io.Writer, totalBytes int64, files int) *progress {
	p := &progress{start: time.Now(), files: files}
	if w == nil {
		return p
	}
	p.bar = progressbar.NewOptions64(totalBytes,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowBytes(false),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetDescription(p.describe(0)),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	return p
}

func (p *progress) describe(resources int64) string {
	rate := float64(resources) / max(time.Since(p.start).Seconds(), 1e-3)
	return fmt.Sprintf("files %d/%d  resources %d  %.0f/s", p.done, p.files, resources, rate)
}

func (p *progress) fileDone(size, resources int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.bar == nil {
		return
	}
	p.bar.Describe(p.describe(resources))
	p.bar.Add64(size)
}

func (p *progress) finish(resources int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		return
	}
	p.bar.Describe(p.describe(resources))
	p.bar.Finish()
}
