package graph

import (
	"strings"
	"time"
	_ "time/tzdata" // the container image may have no zoneinfo

	"github.com/mvmbot/mvmbot/playbook"
)

// windowsZones maps the Windows time zone ids Outlook uses most to IANA
// (CLDR windowsZones.xml, territory 001). Graph accepts either kind in a
// dateTimeTimeZone; Go needs IANA to compute the wall clock.
var windowsZones = map[string]string{
	"UTC":                             "UTC",
	"GMT Standard Time":               "Europe/London",
	"Greenwich Standard Time":         "Atlantic/Reykjavik",
	"W. Europe Standard Time":         "Europe/Berlin",
	"Romance Standard Time":           "Europe/Paris",
	"Central Europe Standard Time":    "Europe/Budapest",
	"Central European Standard Time":  "Europe/Warsaw",
	"E. Europe Standard Time":         "Europe/Chisinau",
	"FLE Standard Time":               "Europe/Kiev",
	"GTB Standard Time":               "Europe/Bucharest",
	"Russian Standard Time":           "Europe/Moscow",
	"Turkey Standard Time":            "Europe/Istanbul",
	"Israel Standard Time":            "Asia/Jerusalem",
	"South Africa Standard Time":      "Africa/Johannesburg",
	"Arabian Standard Time":           "Asia/Dubai",
	"Arab Standard Time":              "Asia/Riyadh",
	"India Standard Time":             "Asia/Calcutta",
	"Singapore Standard Time":         "Asia/Singapore",
	"China Standard Time":             "Asia/Shanghai",
	"Tokyo Standard Time":             "Asia/Tokyo",
	"Korea Standard Time":             "Asia/Seoul",
	"SE Asia Standard Time":           "Asia/Bangkok",
	"AUS Eastern Standard Time":       "Australia/Sydney",
	"E. Australia Standard Time":      "Australia/Brisbane",
	"W. Australia Standard Time":      "Australia/Perth",
	"New Zealand Standard Time":       "Pacific/Auckland",
	"Eastern Standard Time":           "America/New_York",
	"Central Standard Time":           "America/Chicago",
	"Mountain Standard Time":          "America/Denver",
	"US Mountain Standard Time":       "America/Phoenix",
	"Pacific Standard Time":           "America/Los_Angeles",
	"Alaskan Standard Time":           "America/Anchorage",
	"Hawaiian Standard Time":          "Pacific/Honolulu",
	"Atlantic Standard Time":          "America/Halifax",
	"Canada Central Standard Time":    "America/Regina",
	"Central Standard Time (Mexico)":  "America/Mexico_City",
	"E. South America Standard Time":  "America/Sao_Paulo",
	"Argentina Standard Time":         "America/Buenos_Aires",
	"SA Pacific Standard Time":        "America/Bogota",
	"Pacific SA Standard Time":        "America/Santiago",
	"Egypt Standard Time":             "Africa/Cairo",
	"W. Central Africa Standard Time": "Africa/Lagos",
}

// Location resolves a time zone as Graph names it, IANA or Windows id ("" is
// UTC).
func Location(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if iana, ok := windowsZones[name]; ok {
		name = iana
	}
	// LoadLocation would read a path; zone names never contain "..".
	if strings.Contains(name, "..") {
		return nil, playbook.Errorf(playbook.EINVALID, "unknown time zone %q", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, playbook.Errorf(playbook.EINVALID, "unknown time zone %q: use an IANA name such as Europe/Berlin", name)
	}
	return loc, nil
}

// Graph's dateTime has no offset and up to 7 fractional digits.
const (
	graphDateTimeOut = "2006-01-02T15:04:05"
	graphDateTimeIn  = "2006-01-02T15:04:05.9999999"
)

// wallClock returns t as the wall clock in zone, for a dateTimeTimeZone.
func wallClock(t time.Time, zone string) (string, error) {
	loc, err := Location(zone)
	if err != nil {
		return "", err
	}
	return t.In(loc).Format(graphDateTimeOut), nil
}

// parseDateTime reads a dateTimeTimeZone back into an instant.
func parseDateTime(dt, zone string) (time.Time, error) {
	loc, err := Location(zone)
	if err != nil {
		return time.Time{}, err
	}
	return time.ParseInLocation(graphDateTimeIn, dt, loc)
}
