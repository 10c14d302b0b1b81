package hl7

import (
	"fmt"
	"strings"
	"testing"
)

// oru returns a synthetic ORU^R01 with n OBX segments.
func oru(n int) string {
	var b strings.Builder
	b.WriteString("MSH|^~\\&|WINPATH|RXX01|CARERECORD|ICS|20260314093000||ORU^R01^ORU_R01|LAB000123|P|2.4|||AL|NE\r")
	b.WriteString("PID|1||RXX1234567^^^RXX^MR~9990000018^^^NHS^NH||TESTPATIENT^ALEX^J||19800102|U\r")
	b.WriteString("PV1|1|I|WARD1^BAY2^BED3\r")
	b.WriteString("ORC|RE|ORD1|LAB1\r")
	b.WriteString("OBR|1|ORD1|LAB1|FBC^Full blood count^WINPATH|||20260314080000|||||||20260314081500||C123^DOCTOR^TEST||||||20260314093000||HA|F\r")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "OBX|%d|NM|T%02d^Test %d^WINPATH||%d.%d|g/L^grams per litre|120-160|N|||F|||20260314090000\r", i, i, i, 100+i, i%10)
	}
	return b.String()
}

func benchParse(b *testing.B, msg string) {
	in := []byte(msg)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkParseADTA01(b *testing.B)          { benchParse(b, adt) }
func BenchmarkParseORUR01With20OBX(b *testing.B) { benchParse(b, oru(20)) }

func BenchmarkParseAndReadORU(b *testing.B) {
	in := []byte(oru(20))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Parse(in)
		if err != nil {
			b.Fatal(err)
		}
		for _, obx := range m.Segments("OBX") {
			_ = obx.Get("3.1")
			_ = obx.Get("5")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkGet(b *testing.B) {
	m := mustParse(b, oru(20))
	for _, path := range []string{"PID-3[2].1", "OBX[20]-5", "MSH-9.2"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if m.Get(path) == "" {
					b.Fatal("empty")
				}
			}
		})
	}
}

func BenchmarkBytesAfterSet(b *testing.B) {
	in := []byte(oru(20))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		m, _ := Parse(in)
		_ = m.Set("PID-3[2].1", "9990000026")
		_ = m.Bytes()
	}
}

func BenchmarkScanner(b *testing.B) {
	one := oru(20)
	in := strings.Repeat(one, 100)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		sc := NewScanner(strings.NewReader(in))
		n := 0
		for sc.Scan() {
			n++
		}
		if n != 100 || sc.Err() != nil {
			b.Fatal(n, sc.Err())
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkACK(b *testing.B) {
	m := mustParse(b, strings.Replace(adt, "|AL|NE|", "|||", 1))
	b.ReportAllocs()
	for b.Loop() {
		_ = testAcker.ACK(m, AE, ErrDetail{Location: Location{Segment: "PID", Field: 3}, Code: CodeRequiredField, Text: "missing"})
	}
}
