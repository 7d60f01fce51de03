// Package money holds currencies and amounts. An amount is an int64 count of the
// currency's minor units (cents for USD, yen for JPY); there is no float anywhere.
package money

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/serverless-wallet/wallet/internal/problem"
)

// Currency is an ISO 4217 code with its minor-unit exponent.
type Currency struct {
	Code     string
	Exponent int
}

// currencies is the allow-list: ISO 4217 codes the platform holds, with their exponents.
var currencies = map[string]int{
	"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2, "SEK": 2, "NOK": 2, "DKK": 2,
	"PLN": 2, "CZK": 2, "SGD": 2, "HKD": 2, "MXN": 2, "BRL": 2, "INR": 2, "ZAR": 2, "CNY": 2,
	"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0,
	"BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}

// ErrInvalidCurrency is returned for a code outside the allow-list.
var ErrInvalidCurrency = problem.Invalid("invalid_currency", "currency must be a supported ISO 4217 code, e.g. USD")

// ParseCurrency accepts an allow-listed code in upper case.
func ParseCurrency(code string) (Currency, error) {
	exp, ok := currencies[code]
	if !ok {
		return Currency{}, ErrInvalidCurrency
	}
	return Currency{Code: code, Exponent: exp}, nil
}

// Minor is an amount in minor units as it arrives in JSON: it must be a JSON integer
// that fits int64. Fractions, strings, exponents and out-of-range numbers are refused
// with invalid_amount instead of being rounded or wrapped.
type Minor int64

// ErrInvalidAmount is the refusal of a malformed or non-positive amount.
var ErrInvalidAmount = problem.Invalid("invalid_amount", "amount must be a positive integer count of minor units")

// UnmarshalJSON implements json.Unmarshaler.
func (m *Minor) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "" || s == "null" || strings.ContainsAny(s, ".eE\"") {
		return ErrInvalidAmount
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return ErrInvalidAmount
	}
	*m = Minor(n)
	return nil
}

var _ json.Unmarshaler = (*Minor)(nil)

// Positive checks that an amount is at least one minor unit.
func Positive(amountMinor int64) error {
	if amountMinor <= 0 {
		return ErrInvalidAmount
	}
	return nil
}

// AddChecked adds two amounts and reports overflow.
func AddChecked(a, b int64) (int64, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}

// Format renders an amount for people: 1234 USD → "12.34 USD", 500 JPY → "500 JPY".
func Format(amountMinor int64, code string) string {
	exp, ok := currencies[code]
	if !ok || exp == 0 {
		return strconv.FormatInt(amountMinor, 10) + " " + code
	}
	sign, abs := "", uint64(amountMinor) // #nosec G115 -- reinterpreted, then negated below when negative
	if amountMinor < 0 {
		sign, abs = "-", -abs // two's complement: correct even for math.MinInt64
	}
	unit := uint64(math.Pow10(exp))
	return fmt.Sprintf("%s%d.%0*d %s", sign, abs/unit, exp, abs%unit, code)
}
