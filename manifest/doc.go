// Package manifest owns mvmbot's Teams app package: the app manifest, the two
// icons, and the zip that Teams (sideloading, the org catalog, the Developer
// Portal) accepts.
//
// # Basics
//
// Build turns Options into manifest.json bytes; WritePackage writes the zip
// (manifest.json, color.png, outline.png at the root); Package writes that zip
// to a file without ever leaving a partial one behind. All three validate the
// manifest against the official Teams manifest schema embedded in
// internal/schema before anything is written, so a package this code produces
// is one Teams will at least parse.
//
// The manifest is generated, not kept as a hand-edited JSON file, because its
// bot commands must match the commands the bot really answers. The caller
// (cmd/mvmbot) converts the bot's own command table into []Command; this
// package never imports the bot, so it stays buildable and testable on its
// own (it imports only internal/schema and the standard library).
//
// ColorIcon and OutlineIcon are drawn in Go at first use, so the project needs
// no binary assets and the icons cannot drift from their tests.
//
// # Caveats
//
//   - Teams shows at most 10 commands per scope. When a scope has more, the
//     first 10 in the caller's order are kept and the rest are silently left
//     out of the menu (the bot still answers them), so callers order their
//     table by importance.
//   - Teams compares the manifest version as MAJOR.MINOR.PATCH only. A "v"
//     prefix and any pre-release or build suffix are dropped, so v1.2.3-rc.1
//     and v1.2.3 produce the same manifest version; bump the patch number to
//     ship a new package over an old one.
//   - The schema check proves the structure, not the values: Teams still
//     rejects a package whose bot id is not a registered Azure Bot, and the
//     developer URLs must really be reachable for store or catalog review.
//   - The bytes are deterministic for a given Options and Go release (fixed
//     zip timestamps, generated icons), so two builds of the same version can
//     be compared byte for byte.
package manifest
