package cards

import (
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// customer is e's customer name as Markdown shows it: typed by a person,
// so escaped (a name like "[x](https://…)" stays text, not a link).
func customer(e *playbook.Engagement) string { return markdown.Escape(e.Customer) }
