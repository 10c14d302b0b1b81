package sqlite_test

import (
	"testing"

	"carerecord/internal/store/storetest"
)

func BenchmarkCreateParallel(b *testing.B) {
	s := open(b)
	defer closeUntimed(b, s)
	storetest.BenchCreateParallel(b, s)
}

func BenchmarkRead(b *testing.B) {
	s := open(b)
	defer closeUntimed(b, s)
	storetest.BenchRead(b, s)
}

func BenchmarkBulkWrite(b *testing.B) {
	s := open(b)
	defer closeUntimed(b, s)
	storetest.BenchBulkWrite(b, s)
}

// closeUntimed closes s outside the benchmark's timing.
func closeUntimed(b *testing.B, s interface{ Close() error }) {
	b.StopTimer()
	if err := s.Close(); err != nil {
		b.Error(err)
	}
}
