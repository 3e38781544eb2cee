// Package notify delivers detection alerts to the places teams watch: Slack,
// PagerDuty, Microsoft Teams, generic signed webhooks, e-mail over SMTP and
// AWS SNS (which also reaches SMS and e-mail subscribers).
//
// The pieces, from the outside in:
//
//   - Config is the "notify" section of the kmsguard config file: named
//     channel instances, routes by rule and severity, templates and delivery
//     policy. Build turns it into a Set, resolving secrets (env:NAME or
//     file:/path) and parsing templates, so that a bad template or a missing
//     secret fails at load time rather than at 3 a.m.
//   - Channel is one destination; Send returns nil, or an error that is
//     classified as retryable (with an optional server-requested wait) or
//     permanent. See IsRetryable and RetryAfterOf.
//   - Outbox is the durable queue of (alert, channel) deliveries. FileOutbox
//     keeps it in an fsynced JSON-lines journal; internal/state provides the
//     SQLite and PostgreSQL implementations behind the same interface, and
//     every implementation passes the contract suite in notify/outboxtest.
//   - Dispatcher routes an alert to channels, enqueues one delivery per
//     channel (once: a (alert ID, channel) pair is enqueued and delivered at
//     most once per dedup window) and drains the outbox with one worker per
//     channel, honouring per-channel rate limits, exponential backoff with
//     full jitter and Retry-After.
//
// Delivery is at-least-once across crashes: if the process dies after a
// channel accepted an alert but before the outbox recorded it, the delivery
// is repeated on restart. Receivers can deduplicate: PagerDuty by dedup_key,
// webhooks by the X-Kmsguard-Alert-Id header, e-mail by Message-ID.
//
// Secrets never appear in errors or logs: Secret redacts itself in every
// formatting path, HTTP errors are rebuilt without the request URL, and every
// error message is scrubbed of known secret values before it leaves a
// channel.
package notify
