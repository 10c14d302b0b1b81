package hl7_test

import (
	"fmt"
	"strings"
	"time"

	"carerecord/internal/hl7"
)

func Example() {
	in := strings.Join([]string{
		`MSH|^~\&|PAS|RXX01|CARERECORD|ICS|20260314093000||ADT^A01^ADT_A01|MSG0001|P|2.5.1`,
		`PID|1||RXX1234567^^^RXX^MR~9990000018^^^NHS^NH||TESTPATIENT^ALEX`,
	}, "\r") + "\r"
	m, err := hl7.Parse([]byte(in))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Type().Event, m.ControlID())
	pid, _ := m.Find("PID", 1)
	for r := 1; r <= pid.Reps(3); r++ {
		if pid.Get(fmt.Sprintf("3[%d].5", r)) == "NH" {
			fmt.Println("NHS number", pid.Get(fmt.Sprintf("3[%d].1", r)))
		}
	}
	london, _ := time.LoadLocation("Europe/London")
	ts, _ := m.Time(london)
	fmt.Println(ts.UTC().Format(time.RFC3339), ts.Precision == hl7.PrecisionSecond)

	ack := hl7.Acker{
		Now:       func() time.Time { return time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC) },
		ControlID: func() string { return "A1" },
	}.ACK(m, hl7.AA)
	fmt.Printf("%q\n", ack)
	// Output:
	// A01 MSG0001
	// NHS number 9990000018
	// 2026-03-14T09:30:00Z true
	// "MSH|^~\\&|CARERECORD|ICS|PAS|RXX01|20260314093100+0000||ACK^A01^ACK|A1|P|2.5.1\rMSA|AA|MSG0001\r"
}

func ExampleScanner() {
	file := "MSH|^~\\&|A||||||ADT^A01|1|P|2.4\nPID|1\n\nMSH|^~\\&|A||||||ADT^A03|2|P|2.4\nPID|1\n"
	sc := hl7.NewScanner(strings.NewReader(file))
	for sc.Scan() {
		if sc.ItemErr() != nil {
			fmt.Println(sc.ItemErr())
			continue
		}
		fmt.Println(sc.Message())
	}
	// Output:
	// ADT^A01 message, 2 segments
	// ADT^A03 message, 2 segments
}
