package playbook

// Questionnaire versions and issues kept apart.
//
// An engagement's submitted questionnaire versions (an answer per field,
// some sixty each) and its post-migration issues (hundreds in a big
// migration) grow with the work, and while they travelled inside the
// engagement record every turn decoded, re-encoded and rewrote all of
// them. A store keeps each version and each issue in a record of its own
// (StoredForm leaves both out) and reads engagements whole:
//
//   - a version is written once, when it is new: a version never changes
//     once submitted, so those past the stored count are the new ones;
//   - an issue is written when it differs from the stored one
//     (ChangedIssues). Issue is a comparable value of scalars, so == against
//     the issue the store last read is exact and costs no encoding.
//
// A version is shared, not copied, by Clone and by a store's cache: nothing
// changes a version, or its Answers, in place (the accessors return
// copies; a submission appends to a clipped slice). Issues are copied by
// Clone (a slice of plain values), since they do change.

// ChangedIssues returns the issues of now that old does not hold as they
// are (new, or changed in any field), in now's order, and the IDs of old's
// issues that now no longer has. Issues are matched by ID; both lists are
// in ID order as the engagement keeps them, so the match is usually by
// position and needs no map.
func ChangedIssues(old, now []Issue) (changed []Issue, gone []int) {
	var byID map[int]int // old's index by ID, made on the first mismatch
	matched := 0
	for i, x := range now {
		j := -1
		if i < len(old) && old[i].ID == x.ID {
			j = i
		} else {
			if byID == nil {
				byID = make(map[int]int, len(old))
				for k, o := range old {
					byID[o.ID] = k
				}
			}
			if k, ok := byID[x.ID]; ok {
				j = k
			}
		}
		if j < 0 {
			changed = append(changed, x)
			continue
		}
		matched++
		if old[j] != x {
			changed = append(changed, x)
		}
	}
	if matched == len(old) {
		return changed, nil
	}
	have := make(map[int]bool, len(now))
	for _, x := range now {
		have[x.ID] = true
	}
	for _, o := range old {
		if !have[o.ID] {
			gone = append(gone, o.ID)
		}
	}
	return changed, gone
}
