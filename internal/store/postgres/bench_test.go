package postgres_test

import (
	"testing"

	"carerecord/internal/store/storetest"
)

func BenchmarkCreateParallel(b *testing.B) {
	storetest.BenchCreateParallel(b, open(b))
}

func BenchmarkRead(b *testing.B) {
	storetest.BenchRead(b, open(b))
}

func BenchmarkBulkWrite(b *testing.B) {
	storetest.BenchBulkWrite(b, open(b))
}
