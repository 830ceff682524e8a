// Package markdown makes text people typed safe to put into the Markdown
// Teams renders: message text with textFormat markdown, and Adaptive Card
// TextBlock and FactSet text. Teams supports a subset there (bold, italic,
// links, lists; learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format),
// so a customer named "[phish](https://evil.example)" would otherwise
// become a link in everyone's card. It imports only the standard library.
package markdown

import "strings"

// escaper puts a backslash before every character the Markdown Teams
// renders gives a meaning to, so that it shows as itself.
var escaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `~`, `\~`,
	`[`, `\[`, `]`, `\]`, `(`, `\(`, `)`, `\)`,
	`<`, `\<`, `>`, `\>`, `#`, `\#`, `|`, `\|`, `!`, `\!`,
)

// Escape returns s so that Markdown shows it as typed: no emphasis, link,
// image, code, HTML-like tag (an <at> mention) or list it could start. Use
// it on every piece of user text (customer names, display names, issue
// titles, notes) put into Markdown, and on nothing else: the bot's own
// formatting stays as written around it.
func Escape(s string) string {
	s = escaper.Replace(s)
	// A line that starts like a list item or a heading would become one.
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = escapeLineStart(l)
	}
	return strings.Join(lines, "\n")
}

// escapeLineStart escapes a list marker (-, +, "1.") at the start of a line.
func escapeLineStart(l string) string {
	t := strings.TrimLeft(l, " \t")
	lead := l[:len(l)-len(t)]
	switch {
	case strings.HasPrefix(t, "- "), strings.HasPrefix(t, "+ "):
		return lead + `\` + t
	}
	n := 0
	for n < len(t) && t[n] >= '0' && t[n] <= '9' {
		n++
	}
	if n > 0 && n < len(t) && (t[n] == '.' || t[n] == ')') {
		return lead + t[:n] + `\` + t[n:]
	}
	return l
}
