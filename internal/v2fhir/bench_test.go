package v2fhir

import (
	"fmt"
	"strings"
	"testing"
)

func benchMap(b *testing.B, text string) {
	msg := parseCase(b, text)
	feed := testFeed(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Map(msg, feed); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkMapADTA01(b *testing.B) {
	benchMap(b, strings.Join([]string{
		"MSH|^~\\&|PAS|RZZ|CARERECORD|ICS|20240312093000||ADT^A01^ADT_A01|B1|P|2.4",
		"EVN|A01|20240312093000",
		"PID|1||RZZ100001^^^RZZMRN^MR~9990000018^^^NHS^NH||SMITH^JANE^ANN^^MRS^^L||19800214|F|||12 HIGH STREET^^LEEDS^^LS1 4AB^GBR^H||01132345678^PRN^PH",
		"PD1|||LEEDS CITY PRACTICE^^B86001",
		"PV1|1|I|WARD7^BAY2^BED3^LGI||||C1234567^WHO^JOHN^^^DR||||||||||||V0001|||||||||||||||||||||||||20240312090000",
	}, "\n"))
}

func BenchmarkMapORUR01(b *testing.B) {
	segs := []string{
		"MSH|^~\\&|LAB|RZZ|CARERECORD|ICS|20240312110000||ORU^R01^ORU_R01|B2|P|2.4",
		"PID|1||RZZ100001^^^RZZMRN^MR~9990000018^^^NHS^NH||SMITH^JANE||19800214|F",
		"OBR|1|PL1001|FL2002|UE^Urea and electrolytes^LOCALLAB|||20240312080000|||||||||||||||20240312110000||CH|F",
	}
	for i := 1; i <= 10; i++ {
		segs = append(segs, fmt.Sprintf("OBX|%d|NM|%d-1^Test %d^LN||%d.5|mmol/L^mmol/L^UCUM|1.0-9.0|N|||F|||20240312080000", i, 1000+i, i, i))
	}
	benchMap(b, strings.Join(segs, "\n"))
}
