package lib

import "testing"

func TestUsedByATest(t *testing.T) {
	if UsedByATest != 3 {
		t.Fatal(UsedByATest)
	}
}
