//go:build !unix

package bench

import "time"

// processCPU is unknown off Unix; CPU per request is then not reported.
func processCPU() time.Duration { return 0 }
