package synthetic

// Names and places. Every person and place is invented; the name lists are
// common given names and surnames of the communities of modern England, so a
// generated population looks like the people a clinician meets.

// ethnicGroup is a UK Core ethnic category (England, 2001 census categories)
// with the names its members are drawn from.
type ethnicGroup struct {
	code, display string
	weight        float64 // per thousand of the population
	names         *namePool
}

// namePool holds given names by sex and surnames. When femaleSurnames is set
// it is parallel to surnames (Polish -ski/-ska and the like).
type namePool struct {
	male, female   []string
	surnames       []string
	femaleSurnames []string
	british        bool // given names follow the British birth-cohort lists
}

var ethnicGroups = []ethnicGroup{
	{"A", "White - British", 735, &britishNames},
	{"B", "White - Irish", 9, &irishNames},
	{"C", "White - Any other White background", 63, &europeanNames},
	{"D", "Mixed - White and Black Caribbean", 9, &caribbeanNames},
	{"E", "Mixed - White and Black African", 5, &britishNames},
	{"F", "Mixed - White and Asian", 8, &britishNames},
	{"G", "Mixed - Any other mixed background", 7, &britishNames},
	{"H", "Asian or Asian British - Indian", 33, &indianNames},
	{"J", "Asian or Asian British - Pakistani", 27, &pakistaniNames},
	{"K", "Asian or Asian British - Bangladeshi", 11, &bangladeshiNames},
	{"L", "Asian or Asian British - Any other Asian background", 16, &tamilNames},
	{"M", "Black or Black British - Caribbean", 11, &caribbeanNames},
	{"N", "Black or Black British - African", 25, &africanNames},
	{"P", "Black or Black British - Any other Black background", 5, &caribbeanNames},
	{"R", "Other Ethnic Groups - Chinese", 7, &chineseNames},
	{"S", "Other Ethnic Groups - Any other ethnic group", 16, &arabNames},
	{"Z", "Not stated", 13, &britishNames},
}

var britishSurnames = []string{
	"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
	"Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
	"Patterson", "Harris", "Lewis", "Martin", "Cooper", "King", "Baker", "Harrison", "Morgan", "Allen",
	"James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
	"Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy",
	"Miller", "Cox", "Richards", "Goodwin", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Fowler",
	"Lamb", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Hill",
	"Hunt", "Pritchard", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight",
	"Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
	"Graham", "Pearson", "Moore", "Fletcher", "Walsh", "Thomas", "Gibson", "Howard", "Andrews", "Stewart",
	"Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West",
	"Lawrence", "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien",
	"Watts", "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees",
	"Hayes", "Hart", "Hudson", "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe",
	"Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone", "Reid", "Holland",
	"Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed", "Kennedy", "Williamson", "Bird",
	"Gardner", "Turner", "Dean", "Lane", "Cooke", "Bates", "Henderson", "Parry", "Burgess", "Bishop",
	"Walton", "Burns", "Nicholson", "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren", "Nicholls",
	"Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson", "Robson", "Curtis", "Hopkins", "O'Connor",
	"Harper", "Coleman", "Watkins", "Moss", "McCarthy", "Chambers", "O'Neill", "Griffin", "Sharp", "Hardy",
}

// British given names by birth cohort: before 1950, 1950-74, 1975-99, 2000 on.
var britishMale = [4][]string{
	{"John", "William", "George", "Thomas", "James", "Arthur", "Frederick", "Albert", "Robert", "Kenneth",
		"Ronald", "Dennis", "Leslie", "Harold", "Stanley", "Norman", "Donald", "Raymond", "Eric", "Ernest",
		"Walter", "Alan", "Derek", "Peter", "Roy", "Geoffrey", "Gordon", "Cyril", "Sidney", "Herbert"},
	{"David", "Paul", "Andrew", "Mark", "Michael", "Stephen", "Ian", "Richard", "Peter", "John",
		"Robert", "Christopher", "Anthony", "Gary", "Steven", "Martin", "Kevin", "Neil", "Simon", "Graham",
		"Keith", "Philip", "Nigel", "Colin", "Trevor", "Barry", "Terence", "Malcolm", "Brian", "Jonathan"},
	{"Daniel", "James", "Matthew", "Christopher", "Thomas", "Michael", "Adam", "David", "Luke", "Jamie",
		"Ryan", "Ben", "Samuel", "Craig", "Lee", "Scott", "Liam", "Jack", "Joshua", "Nathan",
		"Robert", "Carl", "Darren", "Wayne", "Stuart", "Gareth", "Dean", "Mark", "Richard", "Andrew"},
	{"Oliver", "Jack", "Harry", "George", "Noah", "Charlie", "Jacob", "Alfie", "Freddie", "Oscar",
		"Leo", "Archie", "Joshua", "Thomas", "William", "James", "Henry", "Ethan", "Max", "Logan",
		"Isaac", "Lucas", "Theo", "Arthur", "Finley", "Joseph", "Samuel", "Daniel", "Mason", "Harrison"},
}

var britishFemale = [4][]string{
	{"Margaret", "Mary", "Joan", "Dorothy", "Irene", "Doris", "Jean", "Kathleen", "Eileen", "Joyce",
		"Elsie", "Edna", "Betty", "Winifred", "Audrey", "Vera", "Florence", "Ivy", "Gladys", "Hilda",
		"Marjorie", "Sheila", "Barbara", "Patricia", "Phyllis", "Violet", "Lilian", "Evelyn", "Ethel", "Mabel"},
	{"Susan", "Linda", "Christine", "Margaret", "Janet", "Patricia", "Carol", "Elizabeth", "Mary", "Anne",
		"Jacqueline", "Karen", "Julie", "Deborah", "Sandra", "Gillian", "Alison", "Tracey", "Lesley", "Angela",
		"Helen", "Sarah", "Jane", "Catherine", "Wendy", "Pauline", "Valerie", "Maureen", "Lynn", "Amanda"},
	{"Sarah", "Laura", "Emma", "Rebecca", "Gemma", "Claire", "Nicola", "Lisa", "Kelly", "Amy",
		"Hannah", "Jennifer", "Katie", "Rachel", "Lauren", "Stacey", "Charlotte", "Victoria", "Samantha", "Louise",
		"Danielle", "Natalie", "Jessica", "Emily", "Sophie", "Zoe", "Kirsty", "Leanne", "Joanne", "Michelle"},
	{"Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophia", "Grace", "Mia", "Poppy", "Ella",
		"Lily", "Evie", "Isabella", "Sophie", "Ivy", "Freya", "Harper", "Willow", "Isabelle", "Daisy",
		"Florence", "Chloe", "Phoebe", "Jessica", "Ruby", "Millie", "Charlotte", "Matilda", "Evelyn", "Rosie"},
}

var britishNames = namePool{surnames: britishSurnames, british: true}

var irishNames = namePool{
	male:     []string{"Sean", "Patrick", "Declan", "Ciaran", "Niall", "Padraig", "Seamus", "Conor", "Eoin", "Liam", "Michael", "Kieran"},
	female:   []string{"Siobhan", "Aoife", "Niamh", "Bridget", "Roisin", "Ciara", "Mairead", "Orla", "Sinead", "Kathleen", "Grainne", "Eileen"},
	surnames: []string{"Murphy", "Kelly", "O'Sullivan", "Walsh", "O'Brien", "Byrne", "Ryan", "O'Connor", "O'Neill", "Doyle", "McCarthy", "Gallagher", "Doherty", "Kennedy", "Lynch", "Quinn", "Brennan", "Fitzgerald"},
}

var europeanNames = namePool{
	male:           []string{"Piotr", "Tomasz", "Krzysztof", "Marcin", "Pawel", "Andrei", "Mihai", "Ionut", "Jonas", "Tomas", "Marco", "Joao", "Vasile", "Lukasz", "Dariusz"},
	female:         []string{"Agnieszka", "Katarzyna", "Magdalena", "Joanna", "Anna", "Ioana", "Elena", "Andreea", "Ruta", "Giulia", "Ana", "Monika", "Ewa", "Natalia", "Alina"},
	surnames:       []string{"Kowalski", "Nowak", "Wiśniewski", "Lewandowski", "Wójcik", "Kamiński", "Popescu", "Ionescu", "Popa", "Kazlauskas", "Rossi", "Silva", "Santos", "Zielinski", "Dumitru"},
	femaleSurnames: []string{"Kowalska", "Nowak", "Wiśniewska", "Lewandowska", "Wójcik", "Kamińska", "Popescu", "Ionescu", "Popa", "Kazlauskienė", "Rossi", "Silva", "Santos", "Zielinska", "Dumitru"},
}

var indianNames = namePool{
	male:     []string{"Rajesh", "Sanjay", "Amit", "Vijay", "Arjun", "Ravi", "Harpreet", "Gurpreet", "Manoj", "Rohan", "Nikhil", "Dev", "Jaswinder", "Kiran", "Anil"},
	female:   []string{"Priya", "Anjali", "Sunita", "Meera", "Kavita", "Deepa", "Nisha", "Pooja", "Harjit", "Manjit", "Asha", "Neha", "Rupinder", "Anita", "Shreya"},
	surnames: []string{"Patel", "Sharma", "Gupta", "Shah", "Mistry", "Kumar", "Joshi", "Mehta", "Desai", "Sandhu", "Dhillon", "Chauhan", "Parmar", "Solanki", "Bhatt"},
}

var pakistaniNames = namePool{
	male:     []string{"Mohammed", "Imran", "Asif", "Tariq", "Bilal", "Usman", "Zubair", "Kamran", "Faisal", "Adnan", "Hamza", "Ibrahim", "Rizwan", "Shahid", "Yasir"},
	female:   []string{"Ayesha", "Fatima", "Nazia", "Saima", "Shazia", "Amina", "Zainab", "Rubina", "Samina", "Sana", "Maryam", "Hina", "Nadia", "Farah", "Aisha"},
	surnames: []string{"Khan", "Hussain", "Ahmed", "Ali", "Iqbal", "Akhtar", "Mahmood", "Rashid", "Butt", "Qureshi", "Malik", "Shah", "Aslam", "Javed", "Riaz"},
}

var bangladeshiNames = namePool{
	male:     []string{"Abdul", "Mohammed", "Shahidul", "Rafiq", "Jamal", "Anwar", "Habib", "Kamal", "Nazrul", "Shamim", "Rahim", "Sayed"},
	female:   []string{"Rahima", "Shirin", "Nasima", "Rokeya", "Taslima", "Jahanara", "Sultana", "Farhana", "Shapla", "Rukhsana", "Nazma", "Salma"},
	surnames: []string{"Begum", "Rahman", "Uddin", "Islam", "Miah", "Chowdhury", "Ahmed", "Hoque", "Alam", "Khatun", "Hossain", "Ali"},
}

var tamilNames = namePool{
	male:     []string{"Suresh", "Ganesh", "Rajan", "Kumaran", "Arun", "Senthil", "Prakash", "Thilak", "Kannan", "Mohan"},
	female:   []string{"Lakshmi", "Kamala", "Revathi", "Meena", "Saranya", "Vani", "Priya", "Geetha", "Thulasi", "Malathi"},
	surnames: []string{"Sivakumar", "Rajendran", "Selvaraj", "Thangarajah", "Kandiah", "Subramaniam", "Nadarajah", "Krishnan", "Balasingham", "Ponnusamy"},
}

var caribbeanNames = namePool{
	male:     []string{"Marcus", "Tyrone", "Andre", "Delroy", "Winston", "Leon", "Jermaine", "Clive", "Desmond", "Errol", "Kyle", "Jerome", "Dwayne", "Trevor", "Carlton"},
	female:   []string{"Shanice", "Keisha", "Marcia", "Claudette", "Beverley", "Donna", "Jasmine", "Paulette", "Yvonne", "Tanya", "Sharon", "Maxine", "Aaliyah", "Janelle", "Hyacinth"},
	surnames: []string{"Campbell", "Brown", "Williams", "Thomas", "Grant", "Francis", "Henry", "Edwards", "Clarke", "Reid", "Morgan", "Stewart", "Lewis", "Bailey", "Johnson"},
}

var africanNames = namePool{
	male:     []string{"Chinedu", "Oluwaseun", "Kwame", "Kofi", "Emeka", "Tunde", "Abdi", "Yusuf", "Samuel", "Emmanuel", "Tendai", "Femi", "Ikenna", "Ahmed", "Daniel"},
	female:   []string{"Adaeze", "Ngozi", "Ama", "Abena", "Funmilayo", "Chioma", "Amina", "Hodan", "Grace", "Blessing", "Nomvula", "Folake", "Esther", "Faith", "Yetunde"},
	surnames: []string{"Okafor", "Adeyemi", "Mensah", "Owusu", "Osei", "Nwosu", "Abubakar", "Mohamed", "Kamara", "Okonkwo", "Boateng", "Adebayo", "Mwangi", "Farah", "Oyelaran"},
}

var chineseNames = namePool{
	male:     []string{"Wei", "Jun", "Hao", "Ming", "Kevin", "Jian", "Chun", "Tony", "Kai", "Lok"},
	female:   []string{"Mei", "Ling", "Xiao", "Hui", "Jing", "Yan", "Ying", "Annie", "Fang", "Lin"},
	surnames: []string{"Wong", "Chan", "Li", "Zhang", "Wang", "Chen", "Lee", "Liu", "Cheung", "Lam"},
}

var arabNames = namePool{
	male:     []string{"Omar", "Hassan", "Khalid", "Youssef", "Mehmet", "Ali", "Karim", "Reza", "Samir", "Nabil"},
	female:   []string{"Layla", "Noor", "Yasmin", "Huda", "Leila", "Zeynep", "Rania", "Shirin", "Mariam", "Dalia"},
	surnames: []string{"Hassan", "Ibrahim", "Abdullah", "Al-Sayed", "Yilmaz", "Haddad", "Karimi", "Mansour", "Saleh", "Demir"},
}

// Practitioner names are drawn from one mixed pool: NHS staff come from
// everywhere.
var staffPools = []*namePool{&britishNames, &britishNames, &britishNames, &indianNames, &pakistaniNames, &africanNames, &irishNames, &europeanNames, &chineseNames, &tamilNames, &caribbeanNames}

// Street names (first part, then kind) for invented addresses.
var streetNames = []string{
	"Church", "Station", "Victoria", "Mill", "High", "Park", "School", "Queen's", "King's", "Manor",
	"Chapel", "Orchard", "Meadow", "Willow", "Oak", "Beech", "Elm", "Cedar", "Rowan", "Hawthorn",
	"Ash", "Heather", "Kingsley", "Albert", "Windsor", "Nelson", "Brunel", "Lark", "Fern", "Holly",
	"Bramble", "Foxglove", "Sycamore", "Chestnut", "Poplar", "Linden", "Harbour", "Quarry", "Tannery", "Weavers",
}

var streetKinds = []string{"Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Gardens", "Crescent", "Terrace", "Grove", "Place", "Court", "Rise", "Walk"}

// town is an invented town in the invented Wyvern Vale ICS. district is
// the postcode district prefix (the area "KX" is not a real postcode area).
type town struct {
	name     string
	district string
	weight   int // share of the population
	acute    int // index of the acute trust that serves it
}

var towns = []town{
	{"Wyvernbury", "KX1", 30, 0},
	{"Ashcombe Market", "KX3", 12, 0},
	{"Hollowford", "KX4", 11, 0},
	{"Brackenfield", "KX5", 9, 0},
	{"Elmsworth", "KX6", 8, 0},
	{"Saltmere", "KX8", 15, 1},
	{"Larkhaven", "KX9", 8, 1},
	{"Fenmoor", "KX11", 7, 1},
}

// Letters allowed in the inward part of a UK postcode.
const inwardLetters = "ABDEFGHJLNPQRSTUWXYZ"
