//go:build !linux

package fhir

import "time"

// threadCPU is only implemented on Linux; elsewhere the CPU-time metric
// is not reported.
func threadCPU() (time.Duration, func()) { return 0, func() {} }
