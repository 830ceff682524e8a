// Package fakes holds local stand-ins for the services mvmbot talks to, for
// tests and the load bench: the Bot Framework OpenID metadata and signing
// keys (Issuer), the Entra token endpoint azidentity calls (Authority), and
// the Bot Connector a bot replies to (Connector).
//
// Each runs a real HTTP server on 127.0.0.1 and answers like the real service
// does in the parts mvmbot uses; none of them reaches the network. They are
// safe for concurrent use. Production code never imports this package.
package fakes
