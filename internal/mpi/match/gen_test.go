package match

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"carerecord/internal/nhsnumber"
)

// A UK-flavoured generator of person records for the tests and benchmarks:
// people with UK names, dates of birth, addresses with postcodes, mobile
// numbers and NHS numbers from the reserved test range (999…), some of them
// twins sharing birth date and home; and the records several sources
// (trusts, GP practices, A&E) hold about them, with the errors such records
// carry: typos, nicknames, initials, day and month swapped, a wrong digit,
// missing and unverified NHS numbers, a mistyped (invalid) NHS number,
// married names, house moves, transposed name fields. Every name and place
// is invented or a common word; no real person is described.

var (
	ukMale = []string{
		"Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Thomas", "Oscar", "William",
		"James", "Henry", "Leo", "Alfie", "Joshua", "Freddie", "Archie", "Ethan", "Isaac", "Alexander",
		"Joseph", "Edward", "Samuel", "Max", "Daniel", "Arthur", "Lucas", "Mohammed", "Logan", "Theo",
		"David", "Paul", "Andrew", "Mark", "Michael", "Stephen", "Ian", "Richard", "Peter", "John",
		"Robert", "Christopher", "Anthony", "Gary", "Kevin", "Neil", "Simon", "Graham", "Keith", "Philip",
		"Matthew", "Adam", "Luke", "Jamie", "Ryan", "Benjamin", "Liam", "Nathan", "Callum", "Kieran",
		"Arjun", "Ravi", "Imran", "Tariq", "Kwame", "Tomasz", "Piotr", "Connor", "Dylan", "Owen",
	}
	ukFemale = []string{
		"Olivia", "Amelia", "Isla", "Ava", "Emily", "Isabella", "Mia", "Poppy", "Ella", "Lily",
		"Sophie", "Grace", "Evie", "Charlotte", "Jessica", "Freya", "Chloe", "Ruby", "Daisy", "Alice",
		"Susan", "Margaret", "Elizabeth", "Sarah", "Catherine", "Helen", "Julie", "Karen", "Deborah", "Tracey",
		"Jennifer", "Rebecca", "Victoria", "Emma", "Laura", "Hannah", "Lucy", "Amy", "Rachel", "Nicola",
		"Patricia", "Barbara", "Dorothy", "Joan", "Mary", "Anne", "Christine", "Jacqueline", "Samantha", "Natalie",
		"Priya", "Aisha", "Fatima", "Zainab", "Ama", "Agnieszka", "Niamh", "Siobhan", "Megan", "Bethan",
	}
	ukSurnames = []string{
		"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
		"Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
		"Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
		"Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
		"James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
		"Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy",
		"Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh",
		"Begum", "Ali", "Ahmed", "Hussain", "Shah", "O'Brien", "O'Connor", "McDonald", "MacLeod", "Fitzgerald",
		"Nowak", "Kowalski", "Okafor", "Mensah", "Chen", "Wong", "Nguyen", "Da Silva", "Smith-Jones", "Lloyd-Webber",
	}
	// Syllables for the long tail of surnames (most people in the UK do not
	// have one of the hundred commonest).
	surnameHeads = []string{"Ash", "Brad", "Black", "Brook", "Cart", "Chad", "Craw", "Dun", "Elling", "Fair",
		"Gold", "Hart", "Hol", "Kings", "Lang", "Mar", "Mid", "New", "North", "Pen", "Red", "Ride", "Rush",
		"Stan", "Sut", "Thorn", "Wal", "West", "Whit", "Wins", "Ather", "Bar", "Bel", "Cal", "Dar", "Ever"}
	surnameTails = []string{"ford", "ley", "wood", "worth", "ton", "field", "well", "by", "man", "ridge",
		"stone", "combe", "ham", "hurst", "more", "wick", "dale", "low", "shaw", "cott", "brook", "ington", "ell", "ard"}
	streets = []string{"High", "Station", "Church", "Victoria", "Park", "Mill", "Manor", "Queens", "Kings", "Green",
		"School", "New", "Albert", "Grange", "Springfield", "Windsor", "Highfield", "York", "Chapel", "Orchard",
		"Beech", "Oak", "Elm", "Willow", "Cedar", "Meadow", "Brook", "Castle", "Bridge", "North",
		"Hawthorn", "Rowan", "Ash", "Holly", "Lime", "Cherry", "Poplar", "Laburnum", "Sycamore", "Chestnut"}
	streetTypes = []string{"Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Gardens", "Terrace"}
	towns       = []struct{ name, area string }{
		{"Leeds", "LS"}, {"Manchester", "M"}, {"Birmingham", "B"}, {"Bristol", "BS"}, {"Newcastle upon Tyne", "NE"},
		{"Sheffield", "S"}, {"Nottingham", "NG"}, {"Leicester", "LE"}, {"Liverpool", "L"}, {"Bradford", "BD"},
		{"Coventry", "CV"}, {"Hull", "HU"}, {"Plymouth", "PL"}, {"Exeter", "EX"}, {"Norwich", "NR"},
		{"York", "YO"}, {"Cardiff", "CF"}, {"Oxford", "OX"}, {"Cambridge", "CB"}, {"Reading", "RG"},
	}
	postcodeLetters = "ABDEFGHJLNPQRSTUWXYZ" // the letters an inward code uses
)

// genPerson is one person of the generated population.
type genPerson struct {
	given             []string
	family            string
	sex               string
	y, m, d           int
	address           []string
	postcode, phone   string
	nhs               string
	twin              int // index of the twin, or -1
	marriedName, home struct {
		family   string
		address  []string
		postcode string
	}
}

type generator struct {
	rng    *rand.Rand
	nextNH int
}

func newGenerator(seed uint64) *generator {
	return &generator{rng: rand.New(rand.NewPCG(seed, 0xda3e39cb94b95bdb))}
}

func (g *generator) pick(ss []string) string { return ss[g.rng.IntN(len(ss))] }

// zipf picks from ss with weight 1/(rank+10): the commonest name is a few
// per cent of people, as in the UK (the inverse of the CDF of that
// distribution, taken as continuous).
func (g *generator) zipf(ss []string) string {
	const k = 10.0
	n := float64(len(ss))
	i := int(k*math.Pow((n+k)/k, g.rng.Float64()) - k)
	return ss[min(max(i, 0), len(ss)-1)]
}

func (g *generator) surname() string {
	if g.rng.Float64() < 0.3 {
		return g.zipf(ukSurnames)
	}
	return g.pick(surnameHeads) + g.pick(surnameLinks) + g.pick(surnameTails)
}

var surnameLinks = []string{"", "", "", "er", "en", "ing", "s", "e", "a", "ley"}

func (g *generator) givenName(sex string) string {
	if sex == "female" {
		return g.zipf(ukFemale)
	}
	return g.zipf(ukMale)
}

func (g *generator) home() ([]string, string, string) {
	t := towns[g.rng.IntN(len(towns))]
	street := g.pick(streets) + " " + g.pick(streetTypes)
	line := fmt.Sprintf("%d %s", 1+g.rng.IntN(180), street)
	district := 1 + g.rng.IntN(28)
	pc := fmt.Sprintf("%s%d %d%c%c", t.area, district, g.rng.IntN(10),
		postcodeLetters[g.rng.IntN(len(postcodeLetters))], postcodeLetters[g.rng.IntN(len(postcodeLetters))])
	addr := []string{line, t.name}
	if g.rng.Float64() < 0.15 {
		addr = append([]string{fmt.Sprintf("Flat %d", 1+g.rng.IntN(30))}, addr...)
	}
	return addr, pc, "01" + fmt.Sprintf("%09d", g.rng.IntN(1_000_000_000))
}

// nhsNumber issues the next test-range NHS number; the range holds
// 909,091, so in a larger population the rest have none (never a number
// shared by two people).
func (g *generator) nhsNumber() string {
	if g.nextNH >= nhsnumber.TestCount {
		return ""
	}
	g.nextNH++
	return nhsnumber.Test(g.nextNH - 1)
}

// person makes one person; twin, when not nil, is the elder twin to copy.
func (g *generator) person(twin *genPerson) genPerson {
	var p genPerson
	p.twin = -1
	p.sex = "male"
	if g.rng.IntN(2) == 0 {
		p.sex = "female"
	}
	if twin != nil {
		p.family, p.y, p.m, p.d = twin.family, twin.y, twin.m, twin.d
		p.address, p.postcode, p.phone = twin.address, twin.postcode, twin.phone
		for { // twins get different given names
			p.given = []string{g.givenName(p.sex)}
			if p.given[0] != twin.given[0] {
				break
			}
		}
	} else {
		p.family = g.surname()
		p.y, p.m, p.d = 1925+g.rng.IntN(99), 1+g.rng.IntN(12), 1+g.rng.IntN(28)
		p.address, p.postcode, p.phone = g.home()
		p.given = []string{g.givenName(p.sex)}
	}
	if g.rng.Float64() < 0.3 {
		p.given = append(p.given, g.givenName(p.sex))
	}
	if g.rng.Float64() < 0.4 {
		p.phone = fmt.Sprintf("07700 %06d", g.rng.IntN(1_000_000))
	}
	p.nhs = g.nhsNumber()
	p.marriedName.family = g.surname()
	p.home.address, p.home.postcode, _ = g.home()
	return p
}

// population makes n people, about 2% of them in twin pairs.
func (g *generator) population(n int) []genPerson {
	ps := make([]genPerson, 0, n)
	for len(ps) < n {
		p := g.person(nil)
		ps = append(ps, p)
		if len(ps) < n && g.rng.Float64() < 0.01 {
			t := g.person(&ps[len(ps)-1])
			t.twin = len(ps) - 1
			ps[len(ps)-1].twin = len(ps)
			ps = append(ps, t)
		}
	}
	return ps
}

// record is what one source holds about p, with its errors.
func (g *generator) record(p *genPerson, id string, source int) Record {
	f := g.rng.Float64
	r := Record{ID: id, Given: append([]string(nil), p.given...), Family: p.family, Sex: p.sex,
		BirthDate: fmt.Sprintf("%04d-%02d-%02d", p.y, p.m, p.d), Postcode: p.postcode,
		Address: append([]string(nil), p.address...), Phone: p.phone,
		Identifiers: []Identifier{{System: fmt.Sprintf("https://trust%d.example/mrn", source), Value: fmt.Sprintf("M%07d", g.rng.IntN(10_000_000))}},
	}
	switch x := f(); {
	case x < 0.15: // no NHS number (A&E unknown, overseas visitor, old backload)
	case x < 0.17 && p.nhs != "": // a mistyped one: fails modulus 11
		b := []byte(p.nhs)
		i := g.rng.IntN(10)
		b[i] = '0' + (b[i]-'0'+byte(1+g.rng.IntN(9)))%10
		r.NHSNumber = string(b)
	default:
		r.NHSNumber = p.nhs
		r.NHSVerified = p.nhs != "" && f() < 0.75
	}
	if f() < 0.06 && p.sex == "female" && p.twin < 0 { // married, and moved
		r.Family = p.marriedName.family
		r.Address, r.Postcode = p.home.address, p.home.postcode
		r.Phone = ""
	} else if f() < 0.08 { // moved house
		r.Address, r.Postcode = p.home.address, p.home.postcode
		r.Phone = ""
	}
	if f() < 0.05 {
		r.Given[0] = g.typo(r.Given[0])
	} else if f() < 0.05 {
		if nick := someNickname(r.Given[0]); nick != "" {
			r.Given[0] = nick
		}
	} else if f() < 0.02 {
		r.Given[0] = r.Given[0][:1]
	}
	if len(r.Given) > 1 && f() < 0.3 {
		r.Given = r.Given[:1]
	}
	if f() < 0.05 {
		r.Family = g.typo(r.Family)
	}
	if f() < 0.01 {
		r.Given, r.Family = []string{r.Family}, r.Given[0]
	}
	switch x := f(); {
	case x < 0.02 && p.d <= 12:
		r.BirthDate = fmt.Sprintf("%04d-%02d-%02d", p.y, p.d, p.m)
	case x < 0.04:
		b := []byte(r.BirthDate)
		i := []int{2, 3, 6, 8, 9}[g.rng.IntN(5)]
		b[i] = '0' + (b[i]-'0'+1)%10
		if parseDate(string(b)).full() {
			r.BirthDate = string(b)
		}
	case x < 0.05:
		r.BirthDate = ""
	}
	if f() < 0.03 {
		r.Postcode = g.typo(r.Postcode)
	}
	if f() < 0.1 { // written differently: abbreviations, upper case, town left off
		line := strings.NewReplacer(" Road", " Rd", " Street", " St", " Avenue", " Ave").Replace(r.Address[len(r.Address)-2])
		r.Address = []string{strings.ToUpper(line)}
	}
	if f() < 0.3 {
		r.Phone = ""
	}
	if f() < 0.05 {
		r.Sex = "unknown"
	}
	return r
}

// typo changes one character of s: a substitution, deletion, insertion or
// swap of neighbours.
func (g *generator) typo(s string) string {
	if len(s) < 3 {
		return s
	}
	b := []byte(s)
	i := 1 + g.rng.IntN(len(b)-2)
	c := byte('a' + g.rng.IntN(26))
	switch g.rng.IntN(4) {
	case 0:
		b[i] = c
	case 1:
		b = append(b[:i], b[i+1:]...)
	case 2:
		b = append(b[:i], append([]byte{c}, b[i:]...)...)
	default:
		b[i], b[i+1] = b[i+1], b[i]
	}
	return string(b)
}

// someNickname returns a short form of a formal given name from the
// nickname table (the first line that has the name), or "".
func someNickname(name string) string {
	name = fold(name)
	for _, l := range strings.Split(nicknameText, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != name {
			continue
		}
		n := f[1+len(name)%(len(f)-1)]
		return strings.ToUpper(n[:1]) + n[1:]
	}
	return ""
}

// ukData is a generated collection of records with the truth.
type ukData struct {
	records []Record
	person  []int // the person each record is of
	people  []genPerson
}

// generateUK makes n people and one to three records of each, from
// different sources.
func generateUK(seed uint64, n int) ukData {
	g := newGenerator(seed)
	var d ukData
	d.people = g.population(n)
	for i := range d.people {
		k := 1
		switch x := g.rng.Float64(); {
		case x < 0.35:
			k = 2
		case x < 0.5:
			k = 3
		}
		sources := g.rng.Perm(6)[:k]
		for _, s := range sources {
			d.records = append(d.records, g.record(&d.people[i], fmt.Sprintf("p%d-s%d", i, s), s))
			d.person = append(d.person, i)
		}
	}
	return d
}
