package bot

import (
	"strings"
	"testing"
)

func TestCSVBlock(t *testing.T) {
	row := strings.Repeat("x", 99) + "\n" // 100 bytes a row
	for _, tt := range []struct {
		name         string
		csv          string
		shown, total int
	}{
		{"small", "h\na\nb\n", 3, 3},
		{"a fence in a cell", "h\n```\n", 2, 2},
		{"over the limit", "h\n" + strings.Repeat(row, reportCSVMax/100+50), reportCSVMax/100 + 1, reportCSVMax/100 + 51},
	} {
		t.Run(tt.name, func(t *testing.T) {
			block, shown, total := csvBlock([]byte(tt.csv))
			if shown != tt.shown || total != tt.total {
				t.Errorf("shown %d of %d, want %d of %d", shown, total, tt.shown, tt.total)
			}
			inner := strings.TrimSuffix(strings.TrimPrefix(block, "```\n"), "\n```")
			if strings.Contains(inner, "```") || len(block) > reportCSVMax+8 || strings.Count(inner, "\n")+1 != shown {
				t.Errorf("block %d bytes, %d lines, fence inside: %v", len(block), strings.Count(inner, "\n")+1, strings.Contains(inner, "```"))
			}
		})
	}
}
