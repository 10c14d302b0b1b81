package sqlite_test

// An end-to-end check of search over real outside data: every resource of
// the Synthea transaction Bundles (../shared/testdata/synthea) goes into a
// fresh SQLite store with its search index, then each search below runs
// through search.Parse and store.Searcher, page by page, and its result is
// compared with an oracle: the same criteria evaluated by hand-written Go
// over the decoded JSON. The oracle shares no code with package search
// (no extraction, normalisation, date or number parsing); it follows R4
// search.html and, for prefixes on ranges, the rules documented in
// internal/search/match.go. The values searched for (codes, patients,
// names, dates) are picked from the data, so no id is written here.

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"carerecord/internal/search"
	"carerecord/internal/shareddata"
	"carerecord/internal/store"
)

// synRes is one resource of the corpus: its JSON after the urn:uuid
// references were rewritten, and the same decoded (numbers as json.Number).
type synRes struct {
	Type, ID string
	Doc      map[string]any
	Body     []byte
}

// synCorpus is what the Bundles hold. A resource that several Bundles
// carry (the shared Organizations and Practitioners) is written once per
// entry, as successive versions; the oracle sees the last one.
type synCorpus struct {
	files   int
	entries []*synRes            // every entry, in file order
	byKey   map[string]*synRes   // "Type/id" -> current version
	byType  map[string][]*synRes // current versions by type, in id order
}

func (c *synCorpus) get(typ, id string) *synRes { return c.byKey[typ+"/"+id] }

// loadSynthea reads every Bundle and resolves its transaction-local
// references as a server's transaction would: the entry with fullUrl
// urn:uuid:X gets id X, and a reference "urn:uuid:X" becomes "Type/X".
func loadSynthea(t *testing.T, dir string) *synCorpus {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json.gz"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Synthea bundles in %s (%v)", dir, err)
	}
	c := &synCorpus{files: len(files), byKey: map[string]*synRes{}, byType: map[string][]*synRes{}}
	for _, f := range files {
		bundle := readBundle(t, f)
		local := map[string]string{} // fullUrl -> Type/id
		var batch []*synRes
		for _, e := range objs(bundle, "entry") {
			doc, _ := e["resource"].(map[string]any)
			full, _ := e["fullUrl"].(string)
			typ, _ := doc["resourceType"].(string)
			id, ok := strings.CutPrefix(full, "urn:uuid:")
			if doc == nil || typ == "" || !ok {
				t.Fatalf("%s: entry without a resource or a urn:uuid fullUrl (%q)", filepath.Base(f), full)
			}
			doc["id"] = id
			local[full] = typ + "/" + id
			batch = append(batch, &synRes{Type: typ, ID: id, Doc: doc})
		}
		for _, r := range batch {
			if n := rewriteRefs(r.Doc, local); n > 0 {
				t.Fatalf("%s: %s/%s has %d urn:uuid references to no entry", filepath.Base(f), r.Type, r.ID, n)
			}
			if r.Body, err = json.Marshal(r.Doc); err != nil {
				t.Fatal(err)
			}
			c.entries = append(c.entries, r)
			c.byKey[r.Type+"/"+r.ID] = r
		}
	}
	for _, r := range c.byKey {
		c.byType[r.Type] = append(c.byType[r.Type], r)
	}
	for _, rs := range c.byType {
		slices.SortFunc(rs, func(a, b *synRes) int { return strings.Compare(a.ID, b.ID) })
	}
	return c
}

func readBundle(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep decimals as written: their precision is searched
	var b map[string]any
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// rewriteRefs replaces urn:uuid references found in local and returns how
// many urn:uuid references it could not resolve.
func rewriteRefs(v any, local map[string]string) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "reference" && strings.HasPrefix(s, "urn:uuid:") {
				if r, ok := local[s]; ok {
					x[k] = r
				} else {
					n++
				}
				continue
			}
			n += rewriteRefs(e, local)
		}
	case []any:
		for _, e := range x {
			n += rewriteRefs(e, local)
		}
	}
	return n
}

// writeSynthea puts every entry with its index, a few hundred per Write.
func writeSynthea(t *testing.T, st store.Store, reg *search.Registry, c *synCorpus) {
	t.Helper()
	ctx := context.Background()
	const chunk = 400
	for i := 0; i < len(c.entries); i += chunk {
		puts := make([]store.Put, 0, chunk)
		for _, r := range c.entries[i:min(i+chunk, len(c.entries))] {
			x, err := reg.Extract(r.Type, r.Body)
			if err != nil {
				t.Fatalf("extract %s/%s: %v", r.Type, r.ID, err)
			}
			puts = append(puts, store.Put{Type: r.Type, ID: r.ID, Body: r.Body, Index: x})
		}
		err := st.Write(ctx, func(tx store.Tx) error {
			for _, p := range puts {
				if _, err := tx.Put(ctx, p); err != nil {
					return fmt.Errorf("put %s/%s: %w", p.Type, p.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// synCase is one search and what the oracle says it returns.
type synCase struct {
	name    string
	typ     string
	query   string   // as in a URL, values escaped where needed
	want    []string // ids of the matches: a set, or in order when ordered
	ordered bool
	// included, when not nil, is the oracle's set of "Type/id" that
	// _include/_revinclude must add (over all pages).
	included []string
	// mayBeEmpty marks a search whose point is an empty result.
	mayBeEmpty bool
}

func TestSyntheaSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if raceEnabled() {
		// 8 s without, about 3 min with it on two cores. The test drives
		// the store from one goroutine; the store's concurrency has its own
		// tests (storetest), which do run under -race.
		t.Skip("skipping under -race: a single-goroutine correctness check that the detector slows twentyfold")
	}
	dir := shareddata.Require(t, "testdata", "synthea", "bundles")
	start := time.Now()
	c := loadSynthea(t, dir)
	reg := search.NewRegistry(search.FHIRPath)
	st := open(t)
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	writeSynthea(t, st, reg, c)
	loaded := time.Since(start)

	start = time.Now()
	cases := syntheaCases(t, c)
	compared := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.want) == 0 && !tc.mayBeEmpty {
				t.Fatalf("%s?%s: the oracle finds nothing; pick a value the data has", tc.typ, tc.query)
			}
			got, included := searchAll(t, st, reg, tc.typ, tc.query)
			t.Logf("%s?%s: %d matches, %d included (oracle %d, %d)", tc.typ, tc.query, len(got), len(included), len(tc.want), len(tc.included))
			compareIDs(t, tc.typ+"?"+tc.query, "matches", got, tc.want, tc.ordered)
			if tc.included != nil {
				if len(tc.included) == 0 {
					t.Fatalf("%s?%s: the oracle includes nothing", tc.typ, tc.query)
				}
				compareIDs(t, tc.typ+"?"+tc.query, "included", included, tc.included, false)
			}
			compared++
		})
	}
	t.Logf("loaded %d resources (%d bundle entries, %d files) in %v; compared %d searches with the oracle in %v",
		len(c.byKey), len(c.entries), c.files, loaded.Round(time.Millisecond), compared, time.Since(start).Round(time.Millisecond))
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	return ok && slices.ContainsFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == "-race" && s.Value == "true" })
}

// searchAll runs a search and follows its Next cursors, returning the ids
// of the matches in order and the "Type/id" of the included resources.
func searchAll(t *testing.T, st store.Store, reg *search.Registry, typ, query string) (ids, included []string) {
	t.Helper()
	vals, err := url.ParseQuery(query)
	if err != nil {
		t.Fatalf("%s?%s: %v", typ, query, err)
	}
	q, _, err := search.Parse(reg, typ, vals, true)
	if err != nil {
		t.Fatalf("%s?%s: parse: %v", typ, query, err)
	}
	opts := store.SearchOptions{DefaultCount: 1000, MaxCount: 1000, Registry: reg}
	seenInc := map[string]bool{}
	for pages := 0; ; pages++ {
		if pages > 2000 {
			t.Fatalf("%s?%s: more than 2000 pages", typ, query)
		}
		page, err := st.(store.Searcher).Search(context.Background(), q, opts)
		if err != nil {
			t.Fatalf("%s?%s: search: %v", typ, query, err)
		}
		for _, r := range page.Matches {
			if r.Type != typ {
				t.Errorf("%s?%s: a match of type %s", typ, query, r.Type)
			}
			ids = append(ids, r.ID)
		}
		for _, r := range page.Included {
			if k := r.Type + "/" + r.ID; !seenInc[k] {
				seenInc[k] = true
				included = append(included, k)
			}
		}
		if page.IncludeCapped {
			t.Errorf("%s?%s: _include capped", typ, query)
		}
		if page.Next == "" {
			return ids, included
		}
		q.Cursor = page.Next
	}
}

// compareIDs reports the differences between got and the oracle's want.
func compareIDs(t *testing.T, search, what string, got, want []string, ordered bool) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("%s: %s: %s returned twice", search, what, id)
		}
		seen[id] = true
	}
	if ordered {
		if !slices.Equal(got, want) {
			i := 0
			for i < min(len(got), len(want)) && got[i] == want[i] {
				i++
			}
			t.Errorf("%s: %s: order differs from position %d of %d/%d: got %v, want %v",
				search, what, i, len(got), len(want), head(got[i:], 3), head(want[i:], 3))
		}
		return
	}
	wantSet := map[string]bool{}
	for _, id := range want {
		wantSet[id] = true
	}
	var missing, extra []string
	for _, id := range want {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	for id := range seen {
		if !wantSet[id] {
			extra = append(extra, id)
		}
	}
	slices.Sort(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%s: %s: store %d, oracle %d; the store misses %d %v and adds %d %v",
			search, what, len(seen), len(wantSet), len(missing), head(missing, 5), len(extra), head(extra, 5))
	}
}

func head(s []string, n int) []string { return s[:min(n, len(s))] }

// ---- the searches ----

func syntheaCases(t *testing.T, c *synCorpus) []synCase {
	t.Helper()
	const loinc = "http://loinc.org"
	var cases []synCase
	// add appends a case; the pointer it returns is good until the next add.
	add := func(name, typ, query string, want []string) *synCase {
		cases = append(cases, synCase{name: name, typ: typ, query: query, want: want})
		return &cases[len(cases)-1]
	}
	obs := c.byType["Observation"]
	pats := c.byType["Patient"]

	// Values from the data.
	topCode := mostCommon(obs, func(r *synRes) []string {
		var out []string
		for _, cd := range objs(r.Doc, "code.coding") {
			if str(cd, "system") == loinc {
				out = append(out, str(cd, "code"))
			}
		}
		return out
	})
	busy := mostCommon(obs, func(r *synRes) []string { return refIDs(r.Doc, "subject", "Patient") })
	family := mostCommon(pats, func(r *synRes) []string { return strs(r.Doc, "name.family") })
	condCode := pickHasCode(c)
	practitioner := mostCommon(c.byType["Encounter"], func(r *synRes) []string { return refIDs(r.Doc, "participant.individual", "Practitioner") })
	orgID := mostCommon(c.byType["Encounter"], func(r *synRes) []string { return refIDs(r.Doc, "serviceProvider", "Organization") })
	orgName := str(c.get("Organization", orgID).Doc, "name")
	city := mostCommon(pats, func(r *synRes) []string { return strs(r.Doc, "address.city") })
	accented := firstAccented(pats)
	ssn := firstIdentifier(pats, "http://hl7.org/fhir/sid/us-ssn")
	birth := mostCommon(pats, func(r *synRes) []string { return strs(r.Doc, "birthDate") })
	encYear := medianYear(c.byType["Encounter"], func(r *synRes) string { return str(obj(r.Doc, "period"), "start") })
	if topCode == "" || busy == "" || family == "" || condCode == "" || practitioner == "" || orgName == "" ||
		city == "" || accented == "" || ssn == "" || len(birth) != 10 || encYear == 0 {
		t.Fatalf("could not pick search values from the data: code %q patient %q family %q condition %q practitioner %q organization %q city %q accented %q ssn %q birth %q year %d",
			topCode, busy, family, condCode, practitioner, orgName, city, accented, ssn, birth, encYear)
	}
	t.Logf("picked: LOINC %s; patient %s (%d Observations); birth date %s; family %s; condition %s; practitioner %s; organization %q; city %s; given %s; encounter year %d",
		topCode, busy, len(filter(obs, func(r *synRes) bool { return refersTo(r.Doc, "subject", "Patient", busy) })),
		birth, family, condCode, practitioner, orgName, city, accented, encYear)

	// token
	add("token code", "Observation", "code="+topCode,
		ids(obs, func(r *synRes) bool { return hasCoding(r.Doc, "code", tokenQuery(topCode)) }))
	add("token system|code", "Observation", "code="+url.QueryEscape(loinc+"|8302-2"),
		ids(obs, func(r *synRes) bool { return hasCoding(r.Doc, "code", tokenQuery(loinc+"|8302-2")) }))
	add("token system|", "Observation", "category="+url.QueryEscape("http://terminology.hl7.org/CodeSystem/observation-category|"),
		ids(obs, func(r *synRes) bool {
			return hasCoding(r.Doc, "category", tokenQuery("http://terminology.hl7.org/CodeSystem/observation-category|"))
		}))
	add("token :not", "Observation", "patient=Patient/"+busy+"&code:not="+url.QueryEscape(loinc+"|"+topCode),
		ids(obs, func(r *synRes) bool {
			return refersTo(r.Doc, "subject", "Patient", busy) && !hasCoding(r.Doc, "code", tokenQuery(loinc+"|"+topCode))
		}))
	add("token clinical-status", "Condition", "clinical-status=active",
		ids(c.byType["Condition"], func(r *synRes) bool { return hasCoding(r.Doc, "clinicalStatus", tokenQuery("active")) }))
	add("token code status", "MedicationRequest", "status=active",
		ids(c.byType["MedicationRequest"], func(r *synRes) bool { return hasCode(r.Doc, "status", tokenQuery("active")) }))
	add("token Coding class", "Encounter", "class=EMER,IMP",
		ids(c.byType["Encounter"], func(r *synRes) bool {
			return hasCoding(r.Doc, "class", tokenQuery("EMER")) || hasCoding(r.Doc, "class", tokenQuery("IMP"))
		}))
	add("identifier system|value", "Patient", "identifier="+url.QueryEscape("http://hl7.org/fhir/sid/us-ssn|"+ssn),
		ids(pats, func(r *synRes) bool {
			return hasIdentifier(r.Doc, "identifier", tokenQuery("http://hl7.org/fhir/sid/us-ssn|"+ssn))
		}))
	add("identifier system|", "Patient", "identifier="+url.QueryEscape("http://hl7.org/fhir/sid/us-ssn|"),
		ids(pats, func(r *synRes) bool {
			return hasIdentifier(r.Doc, "identifier", tokenQuery("http://hl7.org/fhir/sid/us-ssn|"))
		}))

	// string
	add("string family prefix", "Patient", "family="+url.QueryEscape(strings.ToLower(family[:4])),
		ids(pats, func(r *synRes) bool { return anyString(strs(r.Doc, "name.family"), strings.ToLower(family[:4]), "") }))
	add("string given without accents", "Patient", "given="+url.QueryEscape(fold(accented)),
		ids(pats, func(r *synRes) bool { return anyString(strs(r.Doc, "name.given"), fold(accented), "") }))
	add("string name:exact", "Patient", "name:exact="+url.QueryEscape(accented),
		ids(pats, func(r *synRes) bool { return anyString(humanNames(r.Doc, "name"), accented, "exact") }))
	add("string name:exact wrong case", "Patient", "name:exact="+url.QueryEscape(strings.ToUpper(accented)),
		ids(pats, func(r *synRes) bool { return anyString(humanNames(r.Doc, "name"), strings.ToUpper(accented), "exact") })).mayBeEmpty = true
	add("string name:contains", "Patient", "name:contains=ar",
		ids(pats, func(r *synRes) bool { return anyString(humanNames(r.Doc, "name"), "ar", "contains") }))
	add("string name prefix Mr.", "Patient", "name=mr",
		ids(pats, func(r *synRes) bool { return anyString(humanNames(r.Doc, "name"), "mr", "") }))
	add("string address-city", "Patient", "address-city="+url.QueryEscape(strings.ToLower(city[:5])),
		ids(pats, func(r *synRes) bool { return anyString(strs(r.Doc, "address.city"), city[:5], "") }))
	add("string Organization name", "Organization", "name="+url.QueryEscape(strings.Fields(orgName)[0]),
		ids(c.byType["Organization"], func(r *synRes) bool {
			return anyString(append(strs(r.Doc, "name"), strs(r.Doc, "alias")...), strings.Fields(orgName)[0], "")
		}))
	add("string prefix across a space", "Organization", "name="+url.QueryEscape(strings.ToLower(orgName[:len(orgName)-3])),
		ids(c.byType["Organization"], func(r *synRes) bool {
			return anyString(append(strs(r.Doc, "name"), strs(r.Doc, "alias")...), orgName[:len(orgName)-3], "")
		}))
	add("string Organization name:exact", "Organization", "name:exact="+url.QueryEscape(orgName),
		ids(c.byType["Organization"], func(r *synRes) bool {
			return anyString(append(strs(r.Doc, "name"), strs(r.Doc, "alias")...), orgName, "exact")
		}))

	// date
	birthdate := func(q string) func(*synRes) bool {
		return func(r *synRes) bool { return anyDate(dateSpans(r.Doc, "birthDate"), q) }
	}
	for _, q := range []string{birth[:4], birth[:7], birth, "ge1990-01", "lt1950", "ne" + birth[:4], "sa2000-06", "eb1940"} {
		add("date birthdate="+q, "Patient", "birthdate="+q, ids(pats, birthdate(q)))
	}
	add("date OR", "Patient", "birthdate=lt1930,ge2015",
		ids(pats, func(r *synRes) bool { return birthdate("lt1930")(r) || birthdate("ge2015")(r) }))
	encDate := func(qs ...string) func(*synRes) bool {
		return func(r *synRes) bool {
			for _, q := range qs {
				if !anyDate(periods(r.Doc, "period"), q) {
					return false
				}
			}
			return true
		}
	}
	y := strconv.Itoa(encYear)
	add("date Encounter period eq year", "Encounter", "date="+y, ids(c.byType["Encounter"], encDate(y)))
	add("date Encounter period ge month & lt year", "Encounter", "date=ge"+y+"-06&date=lt"+strconv.Itoa(encYear+2),
		ids(c.byType["Encounter"], encDate("ge"+y+"-06", "lt"+strconv.Itoa(encYear+2))))
	add("date Encounter period sa day", "Encounter", "date=sa"+y+"-12-31", ids(c.byType["Encounter"], encDate("sa"+y+"-12-31")))
	zoned := y + "-06-15T10:00:00+05:00"
	add("date Encounter with a time zone", "Encounter", "date="+url.QueryEscape("ge"+zoned)+"&date=lt"+y+"-07",
		ids(c.byType["Encounter"], encDate("ge"+zoned, "lt"+y+"-07")))
	add("date Procedure performedPeriod month", "Procedure", "date="+y+"-06",
		ids(c.byType["Procedure"], func(r *synRes) bool {
			return anyDate(append(dateSpans(r.Doc, "performedDateTime"), periods(r.Doc, "performedPeriod")...), y+"-06")
		}))
	carePlan := func(q string) func(*synRes) bool {
		return func(r *synRes) bool { return anyDate(periods(r.Doc, "period"), q) }
	}
	for _, q := range []string{"gt2021", "2015", "le2010-03", "eb2012"} { // gt: the open ends of active plans
		add("date CarePlan period "+q, "CarePlan", "date="+q, ids(c.byType["CarePlan"], carePlan(q)))
	}
	add("date Condition onset-date le", "Condition", "onset-date=le2000-01-01",
		ids(c.byType["Condition"], func(r *synRes) bool {
			return anyDate(append(dateSpans(r.Doc, "onsetDateTime"), periods(r.Doc, "onsetPeriod")...), "le2000-01-01")
		}))
	add("date Observation patient and month", "Observation", "patient="+busy+"&date=ge"+y+"-03",
		ids(obs, func(r *synRes) bool {
			return refersTo(r.Doc, "subject", "Patient", busy) && anyDate(obsDates(r.Doc), "ge"+y+"-03")
		}))

	// reference
	add("reference patient=Patient/x", "Observation", "patient=Patient/"+busy,
		ids(obs, func(r *synRes) bool { return refersTo(r.Doc, "subject", "Patient", busy) }))
	add("reference subject:Patient=x", "Condition", "subject:Patient="+busy,
		ids(c.byType["Condition"], func(r *synRes) bool { return refersTo(r.Doc, "subject", "Patient", busy) }))
	add("reference participant", "Encounter", "participant=Practitioner/"+practitioner,
		ids(c.byType["Encounter"], func(r *synRes) bool {
			return refersTo(r.Doc, "participant.individual", "Practitioner", practitioner)
		}))

	// quantity
	vq := func(q string) func(*synRes) bool {
		qq := quantityQuery(q)
		return func(r *synRes) bool {
			for _, v := range objs(r.Doc, "valueQuantity") {
				if qq.match(v) {
					return true
				}
			}
			return false
		}
	}
	for _, q := range []string{"gt100", "ap100", "le2", "lt20|http://unitsofmeasure.org|kg", "lt20000|http://unitsofmeasure.org|g",
		"ge30||kg/m2", "gt0.2|http://unitsofmeasure.org|g/dL", "ne5|http://unitsofmeasure.org|mmol/L"} {
		add("quantity "+q, "Observation", "value-quantity="+url.QueryEscape(q), ids(obs, vq(q)))
	}

	// R4's number examples read gt100 as "greater than exactly 100"; this
	// store follows the prefix table (the value's range [99.5, 100.5]),
	// as internal/search/match.go documents, and so does the oracle.
	exactly := len(filter(obs, func(r *synRes) bool {
		return slices.ContainsFunc(objs(r.Doc, "valueQuantity"), func(v map[string]any) bool {
			return quantityQuery("gt100").match(v) != quantityQuery("gt100.0000000000").match(v)
		})
	}))
	t.Logf("value-quantity=gt100: %d Observations lie in (100, 100.5], where the two readings differ", exactly)

	// composite: a code and the value of the same element
	cvq := func(code, q string, combo bool) func(*synRes) bool {
		tq, qq := tokenQuery(code), quantityQuery(q)
		return func(r *synRes) bool {
			elems := []map[string]any{r.Doc}
			if combo {
				elems = append(elems, objs(r.Doc, "component")...)
			}
			for _, e := range elems {
				if hasCoding(e, "code", tq) && slices.ContainsFunc(objs(e, "valueQuantity"), qq.match) {
					return true
				}
			}
			return false
		}
	}
	add("composite code-value-quantity", "Observation", "code-value-quantity="+url.QueryEscape(loinc+"|8302-2$gt150"),
		ids(obs, cvq(loinc+"|8302-2", "gt150", false)))
	// Every systolic pressure is above 90, few diastolic ones: a store that
	// paired one component's code with another's value would find many more.
	add("composite combo-code-value-quantity components", "Observation",
		"combo-code-value-quantity="+url.QueryEscape(loinc+"|8462-4$gt90"), ids(obs, cvq(loinc+"|8462-4", "gt90", true)))

	// chains and _has
	add("chain subject:Patient.family", "Observation", "subject:Patient.family="+url.QueryEscape(family),
		ids(obs, func(r *synRes) bool {
			for _, p := range refIDs(r.Doc, "subject", "Patient") {
				if pr := c.get("Patient", p); pr != nil && anyString(strs(pr.Doc, "name.family"), family, "") {
					return true
				}
			}
			return false
		}))
	add("chain two levels encounter.service-provider.name", "Observation", "encounter.service-provider.name="+url.QueryEscape(orgName),
		ids(obs, func(r *synRes) bool {
			for _, e := range refIDs(r.Doc, "encounter", "Encounter") {
				enc := c.get("Encounter", e)
				if enc == nil {
					continue
				}
				for _, o := range refIDs(enc.Doc, "serviceProvider", "Organization") {
					if org := c.get("Organization", o); org != nil && anyString(append(strs(org.Doc, "name"), strs(org.Doc, "alias")...), orgName, "") {
						return true
					}
				}
			}
			return false
		}))
	add("chain to a date", "Observation", "patient.birthdate=lt1950&code="+topCode,
		ids(obs, func(r *synRes) bool {
			if !hasCoding(r.Doc, "code", tokenQuery(topCode)) {
				return false
			}
			for _, p := range refIDs(r.Doc, "subject", "Patient") {
				if pr := c.get("Patient", p); pr != nil && birthdate("lt1950")(pr) {
					return true
				}
			}
			return false
		}))
	add(":missing=true", "Condition", "abatement-date:missing=true",
		ids(c.byType["Condition"], func(r *synRes) bool {
			return len(dateSpans(r.Doc, "abatementDateTime"))+len(periods(r.Doc, "abatementPeriod")) == 0
		}))
	add(":missing=false", "Condition", "abatement-date:missing=false",
		ids(c.byType["Condition"], func(r *synRes) bool {
			return len(dateSpans(r.Doc, "abatementDateTime"))+len(periods(r.Doc, "abatementPeriod")) > 0
		}))
	reports := c.byType["DiagnosticReport"]
	resultObs := mostCommon(reports, func(r *synRes) []string { return refIDs(r.Doc, "result", "Observation") })
	add("reference in a list", "DiagnosticReport", "result=Observation/"+resultObs,
		ids(reports, func(r *synRes) bool { return refersTo(r.Doc, "result", "Observation", resultObs) }))
	hasCond := map[string]bool{}
	for _, r := range c.byType["Condition"] {
		if hasCoding(r.Doc, "code", tokenQuery(condCode)) {
			for _, p := range refIDs(r.Doc, "subject", "Patient") {
				hasCond[p] = true
			}
		}
	}
	add("_has Condition patient code", "Patient", "_has:Condition:patient:code="+condCode,
		ids(pats, func(r *synRes) bool { return hasCond[r.ID] }))
	add("_has and gender", "Patient", "_has:Condition:patient:code="+condCode+"&gender=female",
		ids(pats, func(r *synRes) bool { return hasCond[r.ID] && hasCode(r.Doc, "gender", tokenQuery("female")) }))

	// _sort, paging, _include
	busyObs := filter(obs, func(r *synRes) bool { return refersTo(r.Doc, "subject", "Patient", busy) })
	byDateDesc := sortedIDs(busyObs, func(r *synRes) (int64, bool) { return maxHigh(obsDates(r.Doc)) }, true)
	s := add("_sort=-date", "Observation", "patient="+busy+"&_sort=-date", byDateDesc)
	s.ordered = true
	s = add("_sort=-date _count=7 pages", "Observation", "patient="+busy+"&_sort=-date&_count=7", byDateDesc)
	s.ordered = true
	s = add("_sort=birthdate _count=10 pages", "Patient", "_sort=birthdate&_count=10",
		sortedIDs(pats, func(r *synRes) (int64, bool) { return minLow(dateSpans(r.Doc, "birthDate")) }, false))
	s.ordered = true
	s = add("_sort=family (lowest of several names)", "Patient", "_sort=family&_count=20",
		sortedStrings(pats, func(r *synRes) []string { return strs(r.Doc, "name.family") }))
	s.ordered = true
	add("paging _count=7 unsorted", "Observation", "patient="+busy+"&category=vital-signs&_count=7",
		ids(busyObs, func(r *synRes) bool { return hasCoding(r.Doc, "category", tokenQuery("vital-signs")) }))
	var encs []string
	for _, r := range busyObs {
		for _, e := range refIDs(r.Doc, "encounter", "Encounter") {
			if c.get("Encounter", e) != nil {
				encs = append(encs, "Encounter/"+e)
			}
		}
	}
	s = add("_include Observation:encounter", "Observation", "patient=Patient/"+busy+"&_include=Observation:encounter", ids(busyObs, nil))
	s.included = dedupe(encs)
	s = add("_include over pages", "Observation", "patient=Patient/"+busy+"&_include=Observation:encounter&_count=25", ids(busyObs, nil))
	s.included = dedupe(encs)
	var revConds []string
	for _, r := range c.byType["Condition"] {
		if refersTo(r.Doc, "subject", "Patient", busy) {
			revConds = append(revConds, "Condition/"+r.ID)
		}
	}
	s = add("_revinclude Condition:patient", "Patient", "_id="+busy+"&_revinclude=Condition:patient", []string{busy})
	s.included = revConds
	return cases
}

// ---- choosing values ----

// mostCommon is the value keys yields most often over rs (ties: the
// smallest value).
func mostCommon(rs []*synRes, keys func(*synRes) []string) string {
	n := map[string]int{}
	for _, r := range rs {
		for _, k := range keys(r) {
			n[k]++
		}
	}
	best := ""
	for k, v := range n {
		if v > n[best] || v == n[best] && k < best {
			best = k
		}
	}
	return best
}

// pickHasCode is the most common Condition code that some patients have
// and others do not.
func pickHasCode(c *synCorpus) string {
	patients := map[string]map[string]bool{}
	for _, r := range c.byType["Condition"] {
		for _, cd := range objs(r.Doc, "code.coding") {
			k := str(cd, "code")
			if patients[k] == nil {
				patients[k] = map[string]bool{}
			}
			for _, p := range refIDs(r.Doc, "subject", "Patient") {
				patients[k][p] = true
			}
		}
	}
	best := ""
	for k, ps := range patients {
		if len(ps) < len(c.byType["Patient"])/2 && (len(ps) > len(patients[best]) || len(ps) == len(patients[best]) && k < best) {
			best = k
		}
	}
	return best
}

func firstAccented(pats []*synRes) string {
	for _, r := range pats {
		for _, g := range strs(r.Doc, "name.given") {
			if fold(g) != strings.ToLower(g) {
				return g
			}
		}
	}
	return ""
}

func firstIdentifier(pats []*synRes, system string) string {
	for _, r := range pats {
		for _, i := range objs(r.Doc, "identifier") {
			if str(i, "system") == system && str(i, "value") != "" {
				return str(i, "value")
			}
		}
	}
	return ""
}

func medianYear(rs []*synRes, date func(*synRes) string) int {
	var years []int
	for _, r := range rs {
		if d := date(r); len(d) >= 4 {
			if y, err := strconv.Atoi(d[:4]); err == nil {
				years = append(years, y)
			}
		}
	}
	if len(years) == 0 {
		return 0
	}
	slices.Sort(years)
	return years[len(years)/2]
}

func filter(rs []*synRes, keep func(*synRes) bool) []*synRes {
	var out []*synRes
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// ids are the ids of the resources keep accepts (all when keep is nil).
func ids(rs []*synRes, keep func(*synRes) bool) []string {
	out := []string{}
	for _, r := range rs {
		if keep == nil || keep(r) {
			out = append(out, r.ID)
		}
	}
	return out
}

func dedupe(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// sortedIDs orders rs by key (descending or not), resources without a key
// last, ties by id.
func sortedIDs(rs []*synRes, key func(*synRes) (int64, bool), desc bool) []string {
	type kv struct {
		id  string
		k   int64
		has bool
	}
	var all []kv
	for _, r := range rs {
		k, ok := key(r)
		all = append(all, kv{r.ID, k, ok})
	}
	slices.SortFunc(all, func(a, b kv) int {
		if a.has != b.has {
			if a.has {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(a.k, b.k); c != 0 && a.has {
			if desc {
				return -c
			}
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	out := make([]string, len(all))
	for i, e := range all {
		out[i] = e.id
	}
	return out
}

// sortedStrings orders rs ascending by the lowest of their folded
// values, resources without one last, ties by id.
func sortedStrings(rs []*synRes, values func(*synRes) []string) []string {
	keys := map[string]string{}
	for _, r := range rs {
		for _, v := range values(r) {
			if k, ok := keys[r.ID]; !ok || fold(v) < k {
				keys[r.ID] = fold(v)
			}
		}
	}
	out := ids(rs, nil)
	slices.SortFunc(out, func(a, b string) int {
		ka, oka := keys[a]
		kb, okb := keys[b]
		switch {
		case oka != okb && oka:
			return -1
		case oka != okb:
			return 1
		}
		return cmp.Or(strings.Compare(ka, kb), strings.Compare(a, b))
	})
	return out
}

// ---- the oracle: JSON paths ----

// at is the values at a dotted path, arrays flattened at every step.
func at(v any, path string) []any {
	cur := []any{v}
	for _, name := range strings.Split(path, ".") {
		var next []any
		for _, c := range cur {
			o, ok := c.(map[string]any)
			if !ok {
				continue
			}
			switch x := o[name].(type) {
			case nil:
			case []any:
				next = append(next, x...)
			default:
				next = append(next, x)
			}
		}
		cur = next
	}
	return cur
}

func objs(v any, path string) []map[string]any {
	var out []map[string]any
	for _, e := range at(v, path) {
		if o, ok := e.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func strs(v any, path string) []string {
	var out []string
	for _, e := range at(v, path) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func obj(o map[string]any, key string) map[string]any { m, _ := o[key].(map[string]any); return m }

func str(o map[string]any, key string) string { s, _ := o[key].(string); return s }

// ---- the oracle: tokens and references ----

// tokenQ is a token search value: code, system|code, |code or system|.
type tokenQ struct {
	system, code string
	anySystem    bool
}

func tokenQuery(s string) tokenQ {
	sys, code, ok := strings.Cut(s, "|")
	if !ok {
		return tokenQ{code: s, anySystem: true}
	}
	return tokenQ{system: sys, code: code}
}

func (q tokenQ) match(system, code string) bool {
	return (q.anySystem || system == q.system) && (q.code == "" || code == q.code) && code != ""
}

// hasCoding: a Coding at path, or a Coding of a CodeableConcept at path.
func hasCoding(doc any, path string, q tokenQ) bool {
	for _, o := range objs(doc, path) {
		codings := objs(o, "coding")
		if _, ok := o["code"]; ok {
			codings = append(codings, o)
		}
		for _, cd := range codings {
			if q.match(str(cd, "system"), str(cd, "code")) {
				return true
			}
		}
	}
	return false
}

// hasCode: a primitive code, which has no system.
func hasCode(doc any, path string, q tokenQ) bool {
	return slices.ContainsFunc(strs(doc, path), func(s string) bool { return q.match("", s) })
}

func hasIdentifier(doc any, path string, q tokenQ) bool {
	return slices.ContainsFunc(objs(doc, path), func(i map[string]any) bool { return q.match(str(i, "system"), str(i, "value")) })
}

// refIDs are the ids of the references at path to resources of typ.
func refIDs(doc any, path, typ string) []string {
	var out []string
	for _, ref := range strs(doc, path+".reference") {
		if id, ok := strings.CutPrefix(ref, typ+"/"); ok && id != "" && !strings.Contains(id, "/") {
			out = append(out, id)
		}
	}
	return out
}

func refersTo(doc any, path, typ, id string) bool { return slices.Contains(refIDs(doc, path, typ), id) }

// ---- the oracle: strings ----

// accents maps the accented Latin letters to their base letters.
var accents = func() map[rune]string {
	m := map[rune]string{}
	for base, letters := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "e": "èéêëēĕėęě", "i": "ìíîïĩīĭįı", "n": "ñńņňŉ",
		"o": "òóôõöøōŏő", "u": "ùúûüũūŭůűų", "y": "ýÿŷ", "s": "śŝşš", "z": "źżž", "ss": "ß", "ae": "æ", "oe": "œ",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// fold is a string as the default string search compares it: lower case,
// accents removed, white space collapsed.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.Join(strings.Fields(s), " ")) {
		if f, ok := accents[r]; ok {
			b.WriteString(f)
		} else if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anyString: one of values matches q: modifier "" (starts with, folded),
// "contains" (folded) or "exact".
func anyString(values []string, q, modifier string) bool {
	return slices.ContainsFunc(values, func(v string) bool {
		switch modifier {
		case "exact":
			return v == q
		case "contains":
			return strings.Contains(fold(v), fold(q))
		}
		return strings.HasPrefix(fold(v), fold(q))
	})
}

// humanNames are the parts of the HumanNames at path that name searches.
func humanNames(doc any, path string) []string {
	var out []string
	for _, part := range []string{"family", "given", "prefix", "suffix", "text"} {
		out = append(out, strs(doc, path+"."+part)...)
	}
	return out
}

// ---- the oracle: ranges and prefixes ----

// prefixMatch is a prefix on a search range s and a resource's range t
// (internal/search/match.go's table, written out again; ap apart).
func prefixMatch[T any](p string, cmp func(a, b T) int, sLo, sHi, tLo, tHi T) bool {
	eq := cmp(sLo, tLo) <= 0 && cmp(tHi, sHi) <= 0
	switch p {
	case "", "eq":
		return eq
	case "ne":
		return !eq
	case "gt":
		return cmp(tHi, sHi) > 0
	case "lt":
		return cmp(tLo, sLo) < 0
	case "ge":
		return cmp(tHi, sHi) > 0 || eq
	case "le":
		return cmp(tLo, sLo) < 0 || eq
	case "sa":
		return cmp(tLo, sHi) > 0
	case "eb":
		return cmp(tHi, sLo) < 0
	case "ap":
		return cmp(sLo, tHi) <= 0 && cmp(tLo, sHi) <= 0 // the caller widened s
	}
	panic("prefix " + p)
}

func cutPrefixQ(q string) (string, string) {
	prefixes := []string{"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"}
	if len(q) > 2 && slices.Contains(prefixes, q[:2]) && q[2] >= '0' && q[2] <= '9' {
		return q[:2], q[2:]
	}
	return "", q
}

// span is an inclusive range of instants in Unix milliseconds.
type span struct{ lo, hi int64 }

// dateSpan is the range a FHIR date, dateTime or instant covers.
func dateSpan(s string) (span, bool) {
	var start time.Time
	var end func(time.Time) time.Time
	var err error
	switch {
	case len(s) == 4:
		start, err = time.Parse("2006", s)
		end = func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }
	case len(s) == 7:
		start, err = time.Parse("2006-01", s)
		end = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	case len(s) == 10:
		start, err = time.Parse("2006-01-02", s)
		end = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	case len(s) >= 19 && s[10] == 'T':
		zoned := strings.HasSuffix(s, "Z") || strings.LastIndexAny(s, "+-") > 10
		layout := "2006-01-02T15:04:05.999999999"
		if zoned {
			layout += "Z07:00"
		}
		start, err = time.Parse(layout, s)
		unit := time.Second
		if frac, ok := strings.CutPrefix(s[19:], "."); ok {
			for i := 0; i < len(frac) && frac[i] >= '0' && frac[i] <= '9'; i++ {
				unit /= 10
			}
			unit = max(unit, time.Millisecond)
		}
		end = func(t time.Time) time.Time { return t.Add(unit) }
	default:
		return span{}, false
	}
	if err != nil {
		return span{}, false
	}
	return span{start.UnixMilli(), end(start).UnixMilli() - 1}, true
}

func dateSpans(doc any, path string) []span {
	var out []span
	for _, s := range strs(doc, path) {
		if sp, ok := dateSpan(s); ok {
			out = append(out, sp)
		}
	}
	return out
}

// periods are the Periods at path, an absent start or end open.
func periods(doc any, path string) []span {
	var out []span
	for _, p := range objs(doc, path) {
		sp := span{-1 << 63, 1<<63 - 1}
		if s, ok := dateSpan(str(p, "start")); ok {
			sp.lo = s.lo
		}
		if e, ok := dateSpan(str(p, "end")); ok {
			sp.hi = e.hi
		}
		if str(p, "start") != "" || str(p, "end") != "" {
			out = append(out, sp)
		}
	}
	return out
}

// obsDates are the values of Observation's date: effective[x].
func obsDates(doc any) []span {
	return append(append(dateSpans(doc, "effectiveDateTime"), dateSpans(doc, "effectiveInstant")...), periods(doc, "effectivePeriod")...)
}

// anyDate: one of the ranges satisfies the search value q ([prefix]date).
func anyDate(ts []span, q string) bool {
	p, d := cutPrefixQ(q)
	s, ok := dateSpan(d)
	if !ok {
		panic("bad date " + q)
	}
	return slices.ContainsFunc(ts, func(t span) bool { return prefixMatch(p, cmp.Compare[int64], s.lo, s.hi, t.lo, t.hi) })
}

func maxHigh(ts []span) (int64, bool) {
	if len(ts) == 0 {
		return 0, false
	}
	return slices.MaxFunc(ts, func(a, b span) int { return cmp.Compare(a.hi, b.hi) }).hi, true
}

func minLow(ts []span) (int64, bool) {
	if len(ts) == 0 {
		return 0, false
	}
	return slices.MinFunc(ts, func(a, b span) int { return cmp.Compare(a.lo, b.lo) }).lo, true
}

// ---- the oracle: quantities, in exact decimals ----

// decimal is a number with the range its written precision implies:
// half a unit of its last digit either side.
type decimal struct{ v, lo, hi *big.Rat }

func parseDecimal(s string) (decimal, bool) {
	v, ok := new(big.Rat).SetString(s)
	if !ok {
		return decimal{}, false
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		exp, _ = strconv.Atoi(s[i+1:])
	}
	if _, frac, ok := strings.Cut(mant, "."); ok {
		exp -= len(frac)
	}
	half := big.NewRat(1, 2)
	ten := new(big.Rat).SetInt64(10)
	for ; exp > 0; exp-- {
		half.Mul(half, ten)
	}
	for ; exp < 0; exp++ {
		half.Quo(half, ten)
	}
	return decimal{v, new(big.Rat).Sub(v, half), new(big.Rat).Add(v, half)}, true
}

func (d decimal) scale(f *big.Rat) decimal {
	return decimal{new(big.Rat).Mul(d.v, f), new(big.Rat).Mul(d.lo, f), new(big.Rat).Mul(d.hi, f)}
}

// ucumBase converts the UCUM units of the data (those a server may
// canonicalise) to a base unit by an exact factor.
var ucumBase = func() map[string]struct {
	base string
	f    *big.Rat
} {
	m := map[string]struct {
		base string
		f    *big.Rat
	}{}
	for _, u := range []struct{ code, base, factor string }{
		{"kg", "g", "1000"}, {"g", "g", "1"}, {"mg", "g", "1/1000"}, {"pg", "g", "1/1000000000000"},
		{"m", "m", "1"}, {"cm", "m", "1/100"}, {"mm", "m", "1/1000"},
		{"L", "L", "1"}, {"dL", "L", "1/10"}, {"mL", "L", "1/1000"}, {"fL", "L", "1/1000000000000000"},
		{"mol/L", "mol/L", "1"}, {"mmol/L", "mol/L", "1/1000"},
		{"g/L", "g/L", "1"}, {"g/dL", "g/L", "10"}, {"mg/dL", "g/L", "1/100"}, {"ng/mL", "g/L", "1/1000000"}, {"pg/mL", "g/L", "1/1000000000"},
		{"kg/m2", "g/m2", "1000"},
	} {
		f, _ := new(big.Rat).SetString(u.factor)
		m[u.code] = struct {
			base string
			f    *big.Rat
		}{u.base, f}
	}
	return m
}()

// quantityQ is a quantity search value: [prefix]number[|system|code].
type quantityQ struct {
	prefix       string
	n            decimal
	system, code string
	unit         bool
}

func quantityQuery(s string) quantityQ {
	parts := strings.Split(s, "|")
	p, num := cutPrefixQ(parts[0])
	n, ok := parseDecimal(num)
	if !ok {
		panic("bad quantity " + s)
	}
	q := quantityQ{prefix: p, n: n}
	if len(parts) == 3 {
		q.system, q.code, q.unit = parts[1], parts[2], true
	}
	return q
}

// match: the Quantity satisfies q. With a UCUM unit both sides go to the
// base unit when both convert; otherwise system and code (or, with no
// system, code or unit) must equal.
func (q quantityQ) match(vq map[string]any) bool {
	num, _ := vq["value"].(json.Number)
	t, ok := parseDecimal(string(num))
	if !ok {
		return false
	}
	s := q.n
	if q.unit {
		sys, code := str(vq, "system"), str(vq, "code")
		su, sok := ucumBase[q.code]
		tu, tok := ucumBase[code]
		isUCUM := func(x string) bool { return x == "" || x == "http://unitsofmeasure.org" }
		switch {
		case sok && tok && isUCUM(q.system) && isUCUM(sys):
			if su.base != tu.base {
				return false
			}
			s, t = s.scale(su.f), t.scale(tu.f)
		case q.system != "":
			if sys != q.system || code != q.code {
				return false
			}
		default:
			if code != q.code && str(vq, "unit") != q.code {
				return false
			}
		}
	}
	lo, hi := s.lo, s.hi
	if q.prefix == "ap" {
		d := new(big.Rat).Abs(s.v)
		d.Quo(d, big.NewRat(10, 1))
		lo, hi = new(big.Rat).Sub(lo, d), new(big.Rat).Add(hi, d)
	}
	return prefixMatch(q.prefix, (*big.Rat).Cmp, lo, hi, t.lo, t.hi)
}
