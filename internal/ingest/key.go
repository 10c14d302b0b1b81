package ingest

import (
	"slices"
	"strconv"
	"strings"

	"carerecord/internal/hl7"
)

// maxIdentifiers bounds the PID-3 repetitions examined for the key.
const maxIdentifiers = 50

// Key returns the queue key of msg, which orders the messages of one patient:
// "nhs:" and the NHS number when a PID-3 repetition has one of typeCodes in
// CX-5; else "mrn:", the first identifier's assigning authority (CX-4.1), "|"
// and its value; else, for messages about no patient, "msg:" and MSH-10.
func Key(msg *hl7.Message, typeCodes []string) string {
	pid, ok := msg.Find("PID", 1)
	if ok {
		n := min(pid.Reps(3), maxIdentifiers)
		for i := 1; i <= n; i++ {
			rep := "3[" + strconv.Itoa(i) + "]"
			if id := strings.TrimSpace(pid.Get(rep + ".1")); id != "" && slices.Contains(typeCodes, strings.ToUpper(pid.Get(rep+".5"))) {
				return "nhs:" + strings.ReplaceAll(id, " ", "")
			}
		}
		for i := 1; i <= n; i++ {
			rep := "3[" + strconv.Itoa(i) + "]"
			if id := pid.Get(rep + ".1"); id != "" {
				return "mrn:" + pid.Get(rep+".4.1") + "|" + id
			}
		}
	}
	return "msg:" + msg.ControlID()
}
