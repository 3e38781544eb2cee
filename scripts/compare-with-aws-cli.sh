#!/usr/bin/env bash
# Manual check that `kmsguard collect` writes what the AWS CLI prints.
#
# It serves the sample organisation of internal/inventory/live/awsfake on
# 127.0.0.1 (scripts/fakeaws), collects it with kmsguard, asks the installed
# AWS CLI (v1 or v2) the same calls against the same endpoint, and diffs each
# response file byte for byte; for a call that failed it compares the error
# code and message with the .error.json file. CLI v1 is set up like v2's
# defaults: cli_timestamp_format = iso8601, JSON output, TZ=UTC (kmsguard
# always writes UTC).
#
# Not part of `make test`: CI machines may lack the AWS CLI.
# Usage: scripts/compare-with-aws-cli.sh   (exit 0 when everything matches)
set -euo pipefail
command -v aws >/dev/null || { echo "the aws CLI is not installed" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
fake_pid=""
cleanup() { [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

(cd "$root" && go build -o "$work/fakeaws" ./scripts/fakeaws && go build -o "$work/kmsguard" ./cmd/kmsguard)
"$work/fakeaws" >"$work/url" &
fake_pid=$!
for _ in $(seq 50); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(head -1 "$work/url")
[ -n "$url" ] || { echo "fakeaws did not start" >&2; exit 1; }

printf '[default]\ncli_timestamp_format = iso8601\noutput = json\n' >"$work/config"
: >"$work/credentials"
export AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials" \
  AWS_ACCESS_KEY_ID=AKIAFAKEMGMT AWS_SECRET_ACCESS_KEY=fake-secret AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1 \
  AWS_PAGER="" TZ=UTC
unset AWS_PROFILE AWS_SESSION_TOKEN

snap="$work/snap"
AWS_ENDPOINT_URL="$url" "$work/kmsguard" collect --out "$snap" --regions eu-west-1,us-east-1,ap-east-1 >"$work/collect.log" || true
org="$work/org"
AWS_ENDPOINT_URL="$url" "$work/kmsguard" collect --out "$org" --org --role kmsguard-audit --external-id ext-123 \
  --regions eu-west-1 >"$work/collect-org.log" || true

same=0 differ=0
# compare FILE-WITHOUT-.json -- aws args...
compare() {
  local name=$1; shift; shift
  local out="$work/out.json" err="$work/err.txt"
  if aws --endpoint-url "$url" --output json "$@" >"$out" 2>"$err"; then
    if [ -f "$snap/$name.json" ] && cmp -s "$out" "$snap/$name.json"; then
      same=$((same + 1)); echo "same     $name.json   (aws $*)"
    else
      differ=$((differ + 1)); echo "DIFFERS  $name.json   (aws $*)"
      diff -u "$snap/$name.json" "$out" | sed 's/^/    /' || true
    fi
    return
  fi
  # "An error occurred (CODE) when calling the OP operation: MESSAGE". The
  # error file has the same Code and Message; kmsguard may append a hint in
  # parentheses to the message (a disabled opt-in region).
  local line code msg got
  line=$(grep -m1 'An error occurred' "$err" || cat "$err")
  code=$(sed -n 's/.*An error occurred (\([^)]*\)).*/\1/p' <<<"$line")
  msg=${line#*operation: }
  got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["Code"]); print(d["Message"])' "$snap/$name.error.json" 2>/dev/null || true)
  if [ "$(head -1 <<<"$got")" = "$code" ] && { [ "$(tail -n +2 <<<"$got")" = "$msg" ] || [[ "$(tail -n +2 <<<"$got")" == "$msg ("*")" ]]; }; then
    same=$((same + 1)); echo "same     $name.error.json   (aws $*: $code)"
  else
    differ=$((differ + 1)); echo "DIFFERS  $name.error.json   (aws $*: $line; file: $got)"
  fi
}

compare account -- sts get-caller-identity
compare iam/account-authorization-details -- iam get-account-authorization-details
for region in eu-west-1 us-east-1; do
  compare "kms/$region/aliases" -- kms list-aliases --region "$region"
  for dir in "$snap"/kms/"$region"/keys/*/; do
    id=$(basename "$dir")
    k="kms/$region/keys/$id"
    compare "$k/describe-key" -- kms describe-key --region "$region" --key-id "$id"
    compare "$k/key-policy" -- kms get-key-policy --region "$region" --key-id "$id" --policy-name default
    # The collector asks rotation only where it applies and tags only of
    # customer managed keys; compare what it wrote.
    if [ -e "$snap/$k/key-rotation-status.json" ] || [ -e "$snap/$k/key-rotation-status.error.json" ]; then
      compare "$k/key-rotation-status" -- kms get-key-rotation-status --region "$region" --key-id "$id"
    fi
    compare "$k/grants" -- kms list-grants --region "$region" --key-id "$id"
    if [ -e "$snap/$k/tags.json" ] || [ -e "$snap/$k/tags.error.json" ]; then
      compare "$k/tags" -- kms list-resource-tags --region "$region" --key-id "$id"
    fi
  done
done
for f in "$snap"/organizations/policies/*.json; do
  [ -e "$f" ] || continue
  id=$(basename "$f" .json)
  compare "organizations/policies/$id" -- organizations describe-policy --region us-east-1 --policy-id "$id"
  compare "organizations/targets/$id" -- organizations list-targets-for-policy --region us-east-1 --policy-id "$id"
done
for f in "$snap"/organizations/parents/*.json; do
  [ -e "$f" ] || continue
  id=$(basename "$f" .json)
  compare "organizations/parents/$id" -- organizations list-parents --region us-east-1 --child-id "$id"
done
compare "kms/ap-east-1" -- kms list-keys --region ap-east-1

# Organisation mode: the account list, and the account whose role cannot be assumed.
snap=$org
compare organizations/accounts -- organizations list-accounts --region us-east-1
compare accounts/333333333333 -- sts assume-role --role-arn arn:aws:iam::333333333333:role/kmsguard-audit \
  --role-session-name kmsguard --external-id ext-123

# Negative control: the member account's aliases, asked with the management
# account's credentials, must differ, or the comparison proves nothing.
before=$differ
compare accounts/222222222222/kms/eu-west-1/aliases -- kms list-aliases --region eu-west-1 >/dev/null
if [ "$differ" -eq $((before + 1)) ]; then
  differ=$before; echo "ok       negative control: a different account's aliases differ"
else
  echo "FAILED   negative control: a different account's aliases compare equal"; differ=$((differ + 1))
fi
echo "$(aws --version 2>&1): $same same, $differ different"
[ "$differ" -eq 0 ]
