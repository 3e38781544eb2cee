package guardrails

import (
	"bytes"
	"strings"
	"sync"
	"text/template"
)

// CloudFormation renders the rules, the SNS topic and its policy as a
// CloudFormation template. Event patterns are JSON, which is valid YAML flow
// style, so the template stays exact without a YAML encoder.
func CloudFormation(opts EventBridgeOptions) ([]byte, error) {
	return render(cfnTemplate(), opts)
}

// Terraform renders the same resources for the AWS Terraform provider.
func Terraform(opts EventBridgeOptions) ([]byte, error) {
	return render(tfTemplate(), opts)
}

type templateRule struct {
	EventRule
	LogicalID string // CloudFormation logical id
	TFName    string // Terraform resource name
}

func render(tmpl *template.Template, opts EventBridgeOptions) ([]byte, error) {
	topic, err := opts.topic()
	if err != nil {
		return nil, err
	}
	var rules []templateRule
	for _, r := range EventRules() {
		rules = append(rules, templateRule{EventRule: r, LogicalID: logicalID(r.Name), TFName: strings.ReplaceAll(r.Name, "-", "_")})
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, map[string]any{"Topic": topic, "Rules": rules}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// logicalID turns kmsguard-kms-key-destroyed into KmsguardKmsKeyDestroyed.
func logicalID(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String() + "Rule"
}

// cfnTemplate is parsed on first use, not at start-up: every kmsguard
// command would pay for it.
var cfnTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("cfn").Parse(`AWSTemplateFormatVersion: "2010-09-09"
Description: kmsguard guardrails - EventBridge rules that notify an SNS topic of KMS configuration changes, key destruction and CloudTrail tampering.
Parameters:
  AlertEmail:
    Type: String
    Default: ""
    Description: Optional e-mail address to subscribe to the alert topic (confirm the subscription e-mail).
Conditions:
  HasAlertEmail: !Not [!Equals [!Ref AlertEmail, ""]]
Resources:
  AlertTopic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: {{.Topic}}
  AlertTopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref AlertTopic]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: AllowEventBridgeRules
            Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sns:Publish
            Resource: !Ref AlertTopic
            Condition:
              ArnEquals:
                aws:SourceArn:
{{- range .Rules}}
                  - !GetAtt {{.LogicalID}}.Arn
{{- end}}
  AlertEmailSubscription:
    Type: AWS::SNS::Subscription
    Condition: HasAlertEmail
    Properties:
      TopicArn: !Ref AlertTopic
      Protocol: email
      Endpoint: !Ref AlertEmail
{{- range .Rules}}
  {{.LogicalID}}:
    Type: AWS::Events::Rule
    Properties:
      Name: {{.Name}}
      Description: "{{.Description}}"
      State: ENABLED
      EventPattern: {{.PatternJSON}}
      Targets:
        - Id: kmsguard-alert-topic
          Arn: !Ref AlertTopic
{{- end}}
Outputs:
  AlertTopicArn:
    Value: !Ref AlertTopic
`))
})

// tfTemplate is parsed on first use, not at start-up: every kmsguard
// command would pay for it.
var tfTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("tf").Parse(`# kmsguard guardrails - EventBridge rules that notify an SNS topic of KMS
# configuration changes, key destruction and CloudTrail tampering.

variable "alert_email" {
  description = "Optional e-mail address to subscribe to the alert topic (confirm the subscription e-mail)."
  type        = string
  default     = ""
}

resource "aws_sns_topic" "kmsguard_alerts" {
  name = "{{.Topic}}"
}
{{range .Rules}}
resource "aws_cloudwatch_event_rule" "{{.TFName}}" {
  name          = "{{.Name}}"
  description   = "{{.Description}}"
  event_pattern = <<-PATTERN
    {{.PatternJSON}}
  PATTERN
}

resource "aws_cloudwatch_event_target" "{{.TFName}}" {
  rule      = aws_cloudwatch_event_rule.{{.TFName}}.name
  target_id = "kmsguard-alert-topic"
  arn       = aws_sns_topic.kmsguard_alerts.arn
}
{{end}}
data "aws_iam_policy_document" "kmsguard_alerts" {
  statement {
    sid       = "AllowEventBridgeRules"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.kmsguard_alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [{{range $i, $r := .Rules}}{{if $i}}, {{end}}aws_cloudwatch_event_rule.{{$r.TFName}}.arn{{end}}]
    }
  }
}

resource "aws_sns_topic_policy" "kmsguard_alerts" {
  arn    = aws_sns_topic.kmsguard_alerts.arn
  policy = data.aws_iam_policy_document.kmsguard_alerts.json
}

resource "aws_sns_topic_subscription" "kmsguard_alert_email" {
  count     = var.alert_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.kmsguard_alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

output "alert_topic_arn" {
  value = aws_sns_topic.kmsguard_alerts.arn
}
`))
})
