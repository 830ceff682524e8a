package botframework

import (
	"encoding/json"
	"net/http"
)

// AdaptiveCardContentType is the content type of an Adaptive Card, in an
// attachment or an invoke response.
const AdaptiveCardContentType = "application/vnd.microsoft.card.adaptive"

// InvokeResponse is the answer to an invoke activity, written as the HTTP
// response itself (Teams never takes it as a posted activity).
type InvokeResponse struct {
	Status int // HTTP status of the response
	Body   any // JSON body; nil for none
}

// universalResponse is the Universal Actions answer to adaptiveCard/action.
type universalResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value"`
}

// CardResponse replaces the clicked card with card, an Adaptive Card's
// value (a *cards.Card).
func CardResponse(card any) *InvokeResponse {
	return &InvokeResponse{Status: http.StatusOK, Body: universalResponse{
		StatusCode: http.StatusOK, Type: AdaptiveCardContentType, Value: card,
	}}
}

// MessageResponse shows text to the person who clicked, leaving the card.
func MessageResponse(text string) *InvokeResponse {
	return &InvokeResponse{Status: http.StatusOK, Body: universalResponse{
		StatusCode: http.StatusOK, Type: "application/vnd.microsoft.activity.message", Value: text,
	}}
}

// ErrorResponse tells Teams the action failed with status: 400 for the
// person's mistake, 500 for ours, the only two the protocol documents for
// application/vnd.microsoft.error. The HTTP status stays 200: the bot did
// process the invoke, and the outcome is in the body, as the Universal
// Actions protocol asks.
func ErrorResponse(status int, code, message string) *InvokeResponse {
	return &InvokeResponse{Status: http.StatusOK, Body: universalResponse{
		StatusCode: status, Type: "application/vnd.microsoft.error",
		Value: map[string]string{"code": code, "message": message},
	}}
}

// ActionInvoke is the value of an adaptiveCard/action invoke.
type ActionInvoke struct {
	Action struct {
		Type string          `json:"type"`
		ID   string          `json:"id"`
		Verb string          `json:"verb"`
		Data json.RawMessage `json:"data"`
	} `json:"action"`
	Trigger string `json:"trigger"`
}
