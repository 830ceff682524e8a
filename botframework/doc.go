// Package botframework is the Bot Framework protocol as mvmbot speaks it,
// and nothing of the product: it knows activities, tokens and the Bot
// Connector, not engagements, cards or the store (CI checks that it imports
// none of them).
//
// # Contents
//
//   - Activity and DecodeActivity: an inbound activity, decoded faster than
//     encoding/json and read faithfully (activity.go).
//   - TokenValidator and OpenIDKeys: the checks the Bot Framework SDKs make
//     of an inbound token, with the signing keys cached and refreshed
//     (auth.go, openid.go).
//   - Connector: the Bot Connector REST client, with retries of throttled
//     calls, pooled request bodies and its own JSON encoder for outgoing
//     activities (connector.go, body.go, outgoing_json.go); RateLimiter
//     keeps proactive posts within Teams' limits (ratelimit.go).
//   - InvokeResponse and its constructors: the Universal Actions answers
//     to an adaptiveCard/action invoke (invoke.go).
//
// # Caveats
//
// An AuthError's text is for the log; the caller gets a bare 401. Outgoing
// is encoded by hand (Outgoing.AppendJSON): a field added to it, or to the
// schema types it embeds, must be written there too; TestOutgoingJSON fails
// until it is. Connector never caches tokens itself: its TokenSource does.
package botframework
