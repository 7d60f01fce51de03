package coldstart

import "sort"

// FunctionEnv is the environment every measured function gets: template.yaml's Globals
// and the per-function variables (each function reads only its own), with the
// template's defaults for settings and dummy names and ARNs for resources. The AWS
// endpoint, credentials, home and the Lambda variables come from Environment.
var FunctionEnv = map[string]string{ // #nosec G101 -- dummy names and ARNs, no secret
	"USERS_TABLE":                    "bench-users",
	"LEDGER_TABLE":                   "bench-ledger",
	"IDEMPOTENCY_TABLE":              "bench-idempotency",
	"LIMITS_TABLE":                   "bench-limits",
	"NOTIFICATIONS_TABLE":            "bench-notifications",
	"REWARDS_TABLE":                  "bench-rewards",
	"AUDIT_TABLE":                    "bench-audit",
	"RECIPIENT_LOOKUPS_PER_HOUR":     "30",
	"AWS_CALL_RECORD_DIR":            "", // recording off, as deployed
	"CORS_ALLOWED_ORIGINS":           "", // the template's default: no cross-origin callers
	"RATE_LIMITS":                    "money=60/60s,write=120/60s,read=600/60s,signup=20/3600s,login=60/60s",
	"CREDIT_MAX_MINOR":               "1000000",
	"CREDIT_DAILY_MAX_MINOR":         "5000000",
	"WITHDRAWAL_MAX_MINOR":           "500000",
	"WITHDRAWAL_DAILY_MAX_MINOR":     "2000000",
	"BREAKER_FAILURES_MAX":           "5",
	"BREAKER_WINDOW_SECONDS":         "60",
	"BREAKER_COOLDOWN_SECONDS":       "30",
	"BREAKER_CACHE_SECONDS":          "3",
	"REWARD_POINTS_PER_TRANSFER_MAX": "1000",
	"REWARD_POINTS_PER_DAY_MAX":      "10000",
	"METER_DYNAMODB":                 "false",
	"METRICS_NAMESPACE":              "Wallet/bench",
	"SIGNING_KEY_SECRET_ARN":         "arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-signing-key",
	"SIGNING_KEY_REFRESH_SECONDS":    "300",
	"TOKEN_ISSUER":                   "wallet-api",
	"TOKEN_AUDIENCE":                 "wallet-clients",
	"LOGIN_FAILURES_MAX":             "5",
	"LOGIN_FAILURE_WINDOW_SECONDS":   "900",
	"LOGIN_LOCK_SECONDS":             "30",
	"LOGIN_LOCK_MAX_SECONDS":         "3600",
	"TRANSFER_STATE_MACHINE_ARN":     "arn:aws:states:us-east-1:000000000000:stateMachine:bench-transfer",
	"SAGA_WAIT_SECONDS":              "6",
	"FAULT_INJECTION":                "false",
	"WALLET_EVENTS_TOPIC_ARN":        "arn:aws:sns:us-east-1:000000000000:bench-wallet-events",
	"USER_NOTIFICATIONS_TOPIC_ARN":   "arn:aws:sns:us-east-1:000000000000:bench-user-notifications",
}

// mailFrom is MAIL_FROM, which template.yaml gives only to the functions that send
// email (mailingFunctions, by their functions/ directory): a function that gets it
// without building a mailer refuses to start.
const mailFrom = "no-reply@wallet.example.com"

var mailingFunctions = map[string]bool{"signup": true, "verifyresend": true, "passwordreset": true}

// Function timeout and memory as template.yaml's Globals set them; the emulator passes
// them on and enforces the timeout.
const (
	functionTimeoutSeconds = "10"
	functionMemoryMB       = "256"
)

// Environment is the whole environment of the emulator and the function it starts (the
// emulator passes its own on): FunctionEnv, the SDK pointed at endpoint with dummy
// credentials, HOME set to home (so no developer's ~/.aws is read), Lambda's JSON logs.
func Environment(endpoint, home, functionName string) []string {
	vars := map[string]string{
		"PATH":                            "/usr/bin:/bin",
		"HOME":                            home,
		"AWS_ENDPOINT_URL":                endpoint,
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_ACCESS_KEY_ID":               "bench",
		"AWS_SECRET_ACCESS_KEY":           "bench",
		"AWS_SESSION_TOKEN":               "bench",
		"AWS_LAMBDA_FUNCTION_NAME":        functionName,
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     functionTimeoutSeconds,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": functionMemoryMB,
		"AWS_LAMBDA_LOG_FORMAT":           "JSON",
		"AWS_LAMBDA_LOG_LEVEL":            "INFO",
	}
	for k, v := range FunctionEnv {
		vars[k] = v
	}
	if mailingFunctions[functionName] {
		vars["MAIL_FROM"] = mailFrom
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}
