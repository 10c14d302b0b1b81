package match

import (
	_ "embed"
	"strings"
)

//go:embed nicknames.txt
var nicknameText string

// nicknameGroups maps a folded given name to the groups (lines of
// nicknames.txt) it belongs to.
var nicknameGroups = parseNicknames(nicknameText)

func parseNicknames(text string) map[string][]uint16 {
	groups := map[string][]uint16{}
	var line uint16
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		for _, name := range strings.Fields(l) {
			groups[name] = append(groups[name], line)
		}
		line++
	}
	return groups
}

// nicknames reports whether two different folded given names are
// equivalent by the nickname table (bill and william, peggy and margaret).
func nicknames(a, b string) bool {
	ga, gb := nicknameGroups[a], nicknameGroups[b]
	for _, x := range ga {
		for _, y := range gb {
			if x == y {
				return true
			}
		}
	}
	return false
}
