package controls

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParallelFindingsKeepsOrder(t *testing.T) {
	for _, n := range []int{0, 1, 2, 1000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			items := make([]int, n)
			var want []string
			for i := range items {
				items[i] = i
				want = append(want, strconv.Itoa(i))
				if i%3 == 0 { // some items give two findings, some none
					want = append(want, strconv.Itoa(i)+"b")
				}
			}
			got := []string{}
			for _, f := range parallelFindings(items, func(i int) []Finding {
				out := []Finding{{ResourceID: strconv.Itoa(i)}}
				if i%3 == 0 {
					out = append(out, Finding{ResourceID: strconv.Itoa(i) + "b"})
				}
				return out
			}) {
				got = append(got, f.ResourceID)
			}
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}
