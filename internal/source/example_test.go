package source_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/source"
)

// A detect command reads its arguments like this: screen each raw record
// with a cheap literal, decode only candidates, report bad records at
// their location, and turn Stats into the summary and exit code.
func Example() {
	stdin := strings.NewReader(`{"Records":[` +
		`{"eventVersion":"1.09","eventID":"e1","eventSource":"kms.amazonaws.com","eventName":"DisableKey"},` +
		`{"eventVersion":"1.09","eventID":"e2","eventSource":"s3.amazonaws.com","eventName":"GetObject"}]}` + "\n")
	var sources []source.Source
	for _, arg := range []string{"-"} {
		src, err := source.Open(arg, source.Options{Stdin: stdin})
		if err != nil {
			fmt.Println(err)
			return
		}
		sources = append(sources, src)
	}
	kms := []byte(`kms.amazonaws.com"`)
	stats, err := source.Read(context.Background(), sources, source.ReadOptions{Workers: 1}, func(worker int, it source.Item) error {
		if !bytes.Contains(it.Raw, kms) {
			return nil // no KMS rule can match: never decoded
		}
		rec, err := cloudtrail.Decode(it.Raw)
		if err != nil {
			return it.Errorf("%v", err)
		}
		fmt.Println(rec.EventName(), rec.EventID(), "at", it.Location())
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(stats.Summary(), "partial:", stats.Partial())
	// Output:
	// DisableKey e1 at -:1 (offset 12)
	// 1 files (0.0 MB), 2 events; 0 errors partial: false
}
