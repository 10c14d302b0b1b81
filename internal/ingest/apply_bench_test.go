package ingest_test

import (
	"context"
	"fmt"
	"testing"

	"carerecord/internal/hl7"
	"carerecord/internal/ingest"
	"carerecord/internal/nhsnumber"
	"carerecord/internal/search"
	"carerecord/internal/store/sqlite"
	"carerecord/internal/v2fhir"
)

// BenchmarkApply measures the consumer's side of the engine without the
// queue: parse, map and apply admissions for distinct patients, a batch of
// 64 a transaction (what a busy live partition hands over), into SQLite.
// It reports messages/s and resources written per message.
func BenchmarkApply(b *testing.B) {
	st, err := sqlite.Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	a := ingest.NewApplier(st, search.NewRegistry(search.FHIRPath))
	feed := v2fhir.Feed{Name: "pas", Organisation: "RZZ"}
	const batch = 64
	n, written := 0, 0
	for b.Loop() {
		rs := make([]*v2fhir.Result, batch)
		for i := range rs {
			msg, err := hl7.Parse([]byte(benchADT(n)))
			if err != nil {
				b.Fatal(err)
			}
			if rs[i], err = v2fhir.Map(msg, feed); err != nil {
				b.Fatal(err)
			}
			n++
		}
		out, err := a.ApplyAll(context.Background(), rs)
		if err != nil {
			b.Fatal(err)
		}
		written += out.Written
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(written)/float64(n), "resources/msg")
}

// benchADT is an admission for patient n.
func benchADT(n int) string {
	return fmt.Sprintf("MSH|^~\\&|PAS|RZZ|CARERECORD|ICS|20240312093000||ADT^A01^ADT_A01|B%07d|P|2.4|||AL|NE\r"+
		"EVN|A01|20240312093000\r"+
		"PID|1||RZZ%07d^^^RZZMRN^MR~%s^^^NHS^NH||PATIENT^BENCH%d||19800214|F|||1 HIGH STREET^^LEEDS^^LS1 4AB^GBR^H\r"+
		"PV1|1|I|WARD7^BAY2^BED3^LGI||||C1234567^WHO^JOHN^^^DR^^^GMC||||||||||||V%07d|||||||||||||||||||||||||20240312090000|\r",
		n, n, nhsnumber.Test(n), n, n)
}
