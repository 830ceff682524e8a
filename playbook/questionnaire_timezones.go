package playbook

import "strings"

// timeZones are the IANA time zones the questionnaire offers, ordered by
// standard UTC offset, west to east: one or more per offset in use, the
// business centres first. A list rather than time.LoadLocation, because this
// package does no I/O (LoadLocation reads the system's zoneinfo) and because
// a drop-down needs a list anyway. Stored values: never remove one.
var timeZones = []string{
	"Pacific/Pago_Pago",              // -11
	"Pacific/Honolulu",               // -10
	"America/Anchorage",              // -9
	"America/Los_Angeles",            // -8
	"America/Vancouver",              // -8
	"America/Denver",                 // -7
	"America/Phoenix",                // -7
	"America/Chicago",                // -6
	"America/Mexico_City",            // -6
	"America/New_York",               // -5
	"America/Toronto",                // -5
	"America/Bogota",                 // -5
	"America/Lima",                   // -5
	"America/Halifax",                // -4
	"America/Santiago",               // -4
	"America/Caracas",                // -4
	"America/St_Johns",               // -3:30
	"America/Sao_Paulo",              // -3
	"America/Argentina/Buenos_Aires", // -3
	"Atlantic/South_Georgia",         // -2
	"Atlantic/Azores",                // -1
	"UTC",                            // 0
	"Europe/London",                  // 0
	"Europe/Dublin",                  // 0
	"Europe/Lisbon",                  // 0
	"Africa/Casablanca",              // 0/+1
	"Africa/Lagos",                   // +1
	"Europe/Paris",                   // +1
	"Europe/Berlin",                  // +1
	"Europe/Amsterdam",               // +1
	"Europe/Madrid",                  // +1
	"Europe/Rome",                    // +1
	"Europe/Stockholm",               // +1
	"Europe/Warsaw",                  // +1
	"Europe/Zurich",                  // +1
	"Africa/Johannesburg",            // +2
	"Africa/Cairo",                   // +2
	"Europe/Athens",                  // +2
	"Europe/Helsinki",                // +2
	"Europe/Kyiv",                    // +2
	"Asia/Jerusalem",                 // +2
	"Europe/Istanbul",                // +3
	"Europe/Moscow",                  // +3
	"Asia/Riyadh",                    // +3
	"Africa/Nairobi",                 // +3
	"Asia/Tehran",                    // +3:30
	"Asia/Dubai",                     // +4
	"Asia/Kabul",                     // +4:30
	"Asia/Karachi",                   // +5
	"Asia/Tashkent",                  // +5
	"Asia/Kolkata",                   // +5:30
	"Asia/Kathmandu",                 // +5:45
	"Asia/Dhaka",                     // +6
	"Asia/Yangon",                    // +6:30
	"Asia/Bangkok",                   // +7
	"Asia/Jakarta",                   // +7
	"Asia/Ho_Chi_Minh",               // +7
	"Asia/Singapore",                 // +8
	"Asia/Shanghai",                  // +8
	"Asia/Hong_Kong",                 // +8
	"Asia/Taipei",                    // +8
	"Asia/Manila",                    // +8
	"Australia/Perth",                // +8
	"Asia/Tokyo",                     // +9
	"Asia/Seoul",                     // +9
	"Australia/Darwin",               // +9:30
	"Australia/Adelaide",             // +9:30
	"Australia/Brisbane",             // +10
	"Australia/Sydney",               // +10
	"Australia/Melbourne",            // +10
	"Pacific/Noumea",                 // +11
	"Pacific/Auckland",               // +12
	"Pacific/Fiji",                   // +12
	"Pacific/Tongatapu",              // +13
	"Pacific/Kiritimati",             // +14
}

// TimeZones returns the time zones a questionnaire answer may name, west to
// east. The slice is the caller's.
func TimeZones() []string {
	return append([]string(nil), timeZones...)
}

// timeZone returns the canonical spelling of the zone z names, ignoring
// case, and false for a zone not offered.
func timeZone(z string) (string, bool) {
	for _, x := range timeZones {
		if strings.EqualFold(x, z) {
			return x, true
		}
	}
	return "", false
}
