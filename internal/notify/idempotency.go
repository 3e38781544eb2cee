package notify

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// Delivery is at-least-once: a process killed after a channel accepted an
// alert and before the outbox recorded it sends the alert again on
// restart. Every channel therefore carries a stable identifier of the
// delivery, the same on every attempt, for the receiver to drop repeats:
//
//	channel    where                                      deduplicated by
//	pagerduty  dedup_key (DedupKey)                       PagerDuty itself
//	webhook    Idempotency-Key header (IdempotencyKey),   the receiver, if it honours
//	           X-Kmsguard-Alert-Id header and the body's  either key
//	           dedup_key and idempotency_key
//	email      Message-ID (derived from DedupKey and the   mail clients and archives
//	           channel) and X-Kmsguard-Idempotency-Key
//	sns        FIFO topics: MessageDeduplicationId        SNS, for 5 minutes
//	           (IdempotencyKey); all topics: the
//	           message attributes dedup_key and
//	           idempotency_key                            subscribers that honour them
//	slack      the message's context line                 nobody: a repeat shows twice
//	teams      the card's last line                       nobody: a repeat shows twice

// Headers naming a delivery for receiver-side deduplication.
const (
	// HeaderIdempotencyKey carries IdempotencyKey on webhook deliveries,
	// under the name payment APIs and the IETF draft
	// (draft-ietf-httpapi-idempotency-key-header) use.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderEmailIdempotencyKey carries IdempotencyKey on e-mail.
	HeaderEmailIdempotencyKey = "X-Kmsguard-Idempotency-Key"
)

// IdempotencyKey is the stable identifier of one alert's delivery to one
// channel: "kmsguard-" and 32 hex digits of SHA-256(DedupKey(a), NUL,
// channel). Every attempt and every redelivery of the pair carries the
// same key; the same alert on two channels (which may reach one
// receiver) carries two.
func IdempotencyKey(a alert.Alert, channel string) string {
	sum := sha256.Sum256([]byte(DedupKey(a) + "\x00" + channel))
	return "kmsguard-" + hex.EncodeToString(sum[:16])
}
