package severity

import (
	"encoding/json"
	"testing"
)

// Every level, including the zero value, must survive a JSON round trip.
func TestLevelJSONRoundTrip(t *testing.T) {
	for l := Unknown; l <= Critical; l++ {
		t.Run(l.String(), func(t *testing.T) {
			b, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			var got Level
			if err := json.Unmarshal(b, &got); err != nil || got != l {
				t.Fatalf("round trip of %s = %v, %v", b, got, err)
			}
		})
	}
	if _, err := Parse("unknown"); err == nil {
		t.Error("Parse must keep rejecting \"unknown\" in configuration")
	}
}
