// Package detect is kmsguard's Sigma engine for CloudTrail: it parses Sigma
// detection rules and meta filters (logsource product aws, service
// cloudtrail), compiles them once into matcher trees indexed by eventSource
// and eventName, derives facts Sigma cannot express (Deriver), and turns
// matches into alerts. The built-in KMS rule set is embedded from rules/.
//
// Field names are CloudTrail's own, as dotted paths into nested objects
// (userIdentity.sessionContext.sessionIssuer.arn). Arrays along a path fan
// out: a rule value matches when any element matches. A field value of null
// matches a field that is absent or JSON null.
//
// Values follow the Sigma specification: strings compare case-insensitively
// with * and ? wildcards (escape with a backslash), re is case-sensitive
// unless re|i, numbers and booleans compare by value against JSON numbers,
// booleans and their string forms. Supported modifiers: contains,
// startswith, endswith, all, cased, re (with i, m, s), cidr, exists, neq,
// fieldref, base64, base64offset, gt, gte, lt, lte. Keyword (field-less)
// searches match anywhere in any value of the record. Rejected, with a
// message naming the rule file and construct: expand, windash, utf16*,
// wide, time-part modifiers, timeframe, rule collections (action), Sigma 1
// aggregations in conditions, and other logsources and taxonomies.
//
// Sigma correlation rules (event_count, value_count, temporal,
// temporal_ordered) run in a Correlator, fed with the engine's matches:
// windows follow eventTime, tolerate late delivery up to an allowed
// lateness, fire once per window, are bounded in memory with counted
// evictions, and serialise per group for the state store. The semantics
// are documented in docs/detection-rules.md.
//
// kmsguard extends rules with a custom attribute, allowed by Sigma:
//
//	kmsguard:
//	  guide: |          # investigation and response; {{field.path}} is
//	    ...             # filled from the event (see RenderTemplate)
//	  details:          # alert detail name: record field path
//	    deletion_date: responseElements.deletionDate
//	  tests:            # Sigma-tests-style samples, run by `kmsguard rules test`
//	    match:
//	      - name: what this event is
//	        needs: [policy]   # optional: skipped without a PolicyAnalyzer
//	        event: |          # one CloudTrail record as JSON
//	          {...}
//	    nomatch: [...]
package detect
