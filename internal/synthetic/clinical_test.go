package synthetic

import (
	"bufio"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"carerecord/internal/nhsnumber"
)

// verhoeff reports whether a SNOMED CT identifier's check digit is right.
func verhoeff(s string) bool {
	d := [10][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	p := [8][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
	if len(s) < 6 || len(s) > 18 {
		return false
	}
	c := 0
	for i := range len(s) {
		ch := s[len(s)-1-i]
		if ch < '0' || ch > '9' {
			return false
		}
		c = d[c][p[i%8][ch-'0']]
	}
	return c == 0
}

// loincValid checks a LOINC code's mod 10 check digit.
func loincValid(s string) bool {
	num, check, ok := strings.Cut(s, "-")
	if !ok || len(check) != 1 || num == "" {
		return false
	}
	sum := 0
	for i := range len(num) {
		ch := num[len(num)-1-i]
		if ch < '0' || ch > '9' {
			return false
		}
		v := int(ch - '0')
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return int(check[0]-'0') == (10-sum%10)%10
}

func TestCheckDigitHelpers(t *testing.T) {
	tests := []struct {
		name string
		ok   func(string) bool
		code string
		want bool
	}{
		{"snomed type 2 diabetes", verhoeff, "44054006", true},
		{"snomed UK drug extension", verhoeff, "39113611000001102", true},
		{"snomed one digit wrong", verhoeff, "44054007", false},
		{"loinc systolic", loincValid, "8480-6", true},
		{"loinc manual example", loincValid, "12345-5", true},
		{"loinc wrong check", loincValid, "8480-5", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ok(tt.code); got != tt.want {
				t.Errorf("%s = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestCodesAreWellFormed(t *testing.T) {
	systems := map[string]int{}
	for _, r := range population() {
		for _, c := range codings(r.v) {
			system, code := str(c, "system"), str(c, "code")
			systems[system]++
			switch system {
			case systemSNOMED:
				if !verhoeff(code) {
					t.Errorf("%s/%s: SNOMED CT code %s fails its check digit", r.Type, r.ID, code)
				}
				if str(c, "display") == "" {
					t.Errorf("%s/%s: SNOMED CT code %s without display", r.Type, r.ID, code)
				}
			case systemLOINC:
				if !loincValid(code) {
					t.Errorf("%s/%s: LOINC code %s fails its check digit", r.Type, r.ID, code)
				}
			case systemUCUM:
				if unit := str(c, "unit"); unit != code {
					t.Errorf("%s/%s: UCUM quantity unit %q code %q", r.Type, r.ID, unit, code)
				}
			}
		}
	}
	for _, s := range []string{systemSNOMED, systemLOINC, systemUCUM, systemEthnicCategory, systemNHSVerification, systemActCode} {
		if systems[s] == 0 {
			t.Errorf("no codes from %s", s)
		}
	}
}

// indications maps regular medicines to the conditions they are given for.
var indications = map[string][]string{
	"325278007": {"44054006"}, "325238000": {"44054006"},
	"42206511000001102": {"49436004"}, "374296008": {"40930008"}, "317972000": {"84114007"},
	"39113611000001102": {"195967001", "13645005"}, "408063002": {"195967001", "13645005"},
}

func TestMedicinesMatchConditions(t *testing.T) {
	checked := 0
	for _, g := range groups(population()) {
		conds := map[string]bool{}
		for _, r := range g.rest {
			if r.Type == "Condition" {
				conds[str(r.v, "code", "coding", "code")] = true
			}
		}
		for _, r := range g.rest {
			if r.Type != "MedicationRequest" && r.Type != "MedicationStatement" {
				continue
			}
			code := str(r.v, "medicationCodeableConcept", "coding", "code")
			want, ok := indications[code]
			if !ok {
				continue
			}
			checked++
			found := false
			for _, c := range want {
				found = found || conds[c]
			}
			if !found {
				t.Errorf("%s/%s: %s prescribed without any of %v", r.Type, r.ID, code, want)
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d prescriptions checked", checked)
	}
}

func TestHbA1cFollowsDiabetes(t *testing.T) {
	var diabetic, other, diabeticHigh, otherHigh int
	for _, g := range groups(population()) {
		status := ""
		for _, r := range g.rest {
			switch str(r.v, "code", "coding", "code") {
			case condDefs[cT2DM].code:
				status = "diabetes"
			case condDefs[cPrediabetes].code:
				status = choose(status == "", "prediabetes", status)
			}
		}
		for _, r := range g.rest {
			if r.Type != "Observation" || str(r.v, "code", "coding", "code") != "59261-8" {
				continue
			}
			v := r.v["valueQuantity"].(map[string]any)["value"].(float64)
			switch status {
			case "diabetes":
				diabetic++
				if v >= 48 {
					diabeticHigh++
				}
			case "":
				other++
				if v >= 48 {
					otherHigh++
				}
			}
		}
	}
	if diabetic < 20 || other < 10 {
		t.Fatalf("HbA1c results: %d for diabetics, %d for others; too few to judge", diabetic, other)
	}
	if diabeticHigh*10 < diabetic*8 {
		t.Errorf("only %d of %d diabetic HbA1c results at or above 48 mmol/mol", diabeticHigh, diabetic)
	}
	if otherHigh > 0 {
		t.Errorf("%d of %d HbA1c results of people without diabetes at or above 48 mmol/mol", otherHigh, other)
	}
}

// vitalRanges are physiologically possible values.
var vitalRanges = map[string][2]float64{
	"9279-1": {6, 45}, "8867-4": {30, 200}, "59408-5": {70, 100}, "8310-5": {34, 42},
	"8480-6": {60, 250}, "8462-4": {30, 150}, "29463-7": {2, 250}, "8302-2": {40, 210}, "39156-5": {10, 60},
}

func TestVitalSignsArePlausibleAndSometimesAbnormal(t *testing.T) {
	abnormal, acvpu := 0, map[string]int{}
	for _, r := range population() {
		if r.Type != "Observation" || str(r.v, "category", "coding", "code") == "laboratory" {
			continue
		}
		values := map[string]float64{}
		if q, ok := r.v["valueQuantity"].(map[string]any); ok {
			values[str(r.v, "code", "coding", "code")] = q["value"].(float64)
		}
		for _, c := range asList(r.v["component"]) {
			values[str(c, "code", "coding", "code")] = c.(map[string]any)["valueQuantity"].(map[string]any)["value"].(float64)
		}
		if values["8462-4"] >= values["8480-6"] && values["8480-6"] > 0 {
			t.Errorf("%s: diastolic %v not below systolic %v", r.ID, values["8462-4"], values["8480-6"])
		}
		for code, v := range values {
			rng, ok := vitalRanges[code]
			if ok && (v < rng[0] || v > rng[1]) {
				t.Errorf("%s: %s = %v outside %v", r.ID, code, v, rng)
			}
			if (code == "9279-1" && v >= 25) || (code == "59408-5" && v <= 91) || (code == "8480-6" && v <= 90) {
				abnormal++
			}
		}
		if str(r.v, "code", "coding", "code") == vsACVPU.Code {
			acvpu[str(r.v, "valueCodeableConcept", "coding", "code")]++
		}
	}
	if abnormal < 10 {
		t.Errorf("only %d red-flag vital signs (RR >= 25, SpO2 <= 91, SBP <= 90)", abnormal)
	}
	if acvpu[acvpuAlert.Code] == 0 || len(acvpu) < 2 {
		t.Errorf("ACVPU levels recorded: %v; want mostly alert and some not", acvpu)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestLettersNameTheirPatient(t *testing.T) {
	n := map[string]int{}
	for _, g := range groups(population()) {
		nhs := nhsnumber.Format(str(g.patient.v, "identifier", "value"))
		family := strings.ToUpper(str(g.patient.v, "name", "family"))
		encounters := map[string]string{}
		for _, r := range g.rest {
			if r.Type == "Encounter" {
				encounters["Encounter/"+r.ID] = str(r.v, "class", "code")
			}
			if r.Type != "DocumentReference" {
				continue
			}
			att := r.v["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
			text, err := base64.StdEncoding.DecodeString(str(att, "data"))
			if err != nil || str(att, "contentType") != "text/plain" {
				t.Errorf("%s: attachment %q not base64 text/plain: %v", r.ID, str(att, "contentType"), err)
				continue
			}
			if !strings.Contains(string(text), nhs) || !strings.Contains(string(text), family) {
				t.Errorf("%s: letter does not name %s (%s):\n%s", r.ID, family, nhs, text)
			}
			typ := str(r.v, "type", "coding", "code")
			class := encounters[str(r.v, "context", "encounter", "reference")]
			n[typ]++
			switch {
			case typ == "373942005" && class != "IMP":
				t.Errorf("%s: discharge summary for a %q encounter", r.ID, class)
			case typ == "371531000" && class != "AMB":
				t.Errorf("%s: clinic letter for a %q encounter", r.ID, class)
			}
		}
	}
	if n["373942005"] == 0 || n["371531000"] == 0 {
		t.Errorf("letters by type %v; want discharge summaries and clinic letters", n)
	}
}

func TestPopulationSpansLifeAndCare(t *testing.T) {
	ages := map[string]int{}
	careHome, inHospital := 0, 0
	for _, g := range groups(population()) {
		born := str(g.patient.v, "birthDate")
		age := testNow.Year() - atoi(born[:4])
		ages[choose(age < 16, "child", choose(age >= 80, "80+", "adult"))]++
		if strings.Contains(str(g.patient.v, "address", "line"), "Care Home") ||
			strings.Contains(str(g.patient.v, "address", "line"), "Nursing Home") ||
			strings.Contains(str(g.patient.v, "address", "line"), "Residential Home") {
			careHome++
		}
		for _, r := range g.rest {
			if r.Type == "Encounter" && str(r.v, "status") == "in-progress" {
				inHospital++
			}
		}
	}
	if ages["child"] < 20 || ages["adult"] < 100 || ages["80+"] < 5 {
		t.Errorf("ages %v; want children, adults and over-80s", ages)
	}
	if careHome == 0 || inHospital == 0 {
		t.Errorf("%d care home residents, %d current inpatients; want some of each", careHome, inHospital)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// listedCodes reads testdata/codes.tsv: system name and code to display.
func listedCodes(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/codes.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	codes := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			t.Fatalf("codes.tsv: %q has %d columns, want 4", line, len(cols))
		}
		system := map[string]string{"SNOMED": systemSNOMED, "LOINC": systemLOINC}[cols[0]]
		codes[system+"|"+cols[1]] = cols[2]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return codes
}

func TestCodesAreListed(t *testing.T) {
	listed := listedCodes(t)
	check := func(where string, c coding) {
		display, ok := listed[c.System+"|"+c.Code]
		switch {
		case !ok:
			t.Errorf("%s: %s %s %q is not in testdata/codes.tsv", where, c.System, c.Code, c.Display)
		case display != c.Display:
			t.Errorf("%s: %s display %q, codes.tsv says %q", where, c.Code, c.Display, display)
		}
	}
	seen := map[string]bool{}
	for _, r := range population() {
		for _, c := range codings(r.v) {
			cd := coding{System: str(c, "system"), Code: str(c, "code"), Display: str(c, "display")}
			if (cd.System == systemSNOMED || cd.System == systemLOINC) && !seen[cd.System+cd.Code] {
				seen[cd.System+cd.Code] = true
				check(r.Type, cd)
			}
		}
	}
	t.Run("catalogue", func(t *testing.T) {
		for _, d := range condDefs {
			check("condition", sct(d.code, d.display))
		}
		for _, d := range acuteDefs {
			check("acute", sct(d.code, d.display))
			check("complaint", d.complaint)
		}
		for _, d := range medDefs {
			check("medicine", sct(d.code, d.display))
		}
		for _, d := range labDefs {
			for _, c := range d.code {
				check("lab", c)
			}
		}
		for _, d := range allergyDefs {
			check("allergy", sct(d.code, d.display))
			for _, c := range d.reactions {
				check("reaction", c)
			}
		}
		for _, r := range gpReasonSet {
			check("gp reason", r.complaint)
			if r.dx != nil {
				check("gp diagnosis", *r.dx)
			}
		}
		for _, v := range []vaccine{fluVaccine, covidVaccine, pneumoVaccine} {
			check("vaccine", v.code)
		}
	})
}
