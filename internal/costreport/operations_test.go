package costreport

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFloorsOfTheOperations(t *testing.T) {
	cases := map[string]struct {
		shape      Shape
		writeUnits float64
		apiUSD     float64
		sagaAdds   float64 // USD per million the saga's shape adds
	}{
		// 5 transaction items, 2 notifications, 2 reward writes.
		"transfer": {TransferShape, 14, 3.50, 1.00 + 0.20 + 0.0166667},
		// the reserve's 2 items and the post's 5, then as a transfer; two saga runs.
		"hold captured later": {HoldShape, 18, 7.00, 2 * (1.00 + 0.20 + 0.0166667)},
		// 4 transaction items and the owner's notification; no saga.
		"credit": {CreditShape, 9, 3.50, 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			byItem := map[string]float64{}
			for _, l := range FloorOf(c.shape, ListPrices) {
				byItem[l.Item] = l.PerMillon
			}
			assert.InDelta(t, c.writeUnits*0.625, byItem["DynamoDB write units"], 1e-9)
			assert.InDelta(t, c.apiUSD, byItem["API Gateway REST API requests"], 1e-9)
			assert.InDelta(t, c.sagaAdds, SagaFloorOf(c.shape, ListPrices)-Total(FloorOf(c.shape, ListPrices)), 1e-6)
		})
	}
	assert.Equal(t, Floor(ListPrices), FloorOf(TransferShape, ListPrices), "the transfer's floor is its shape's")
}

func TestWriteStatesTheOtherOperations(t *testing.T) {
	m := Measured{Transfers: 1, APIRequests: 1, Functions: []FunctionUsage{{Name: "F", Invocations: 1, MemoryMB: 256, WriteUnits: 28}}}
	credit := Measured{Transfers: 10, APIRequests: 10, Functions: []FunctionUsage{{Name: "CreateCredit", Invocations: 10, MemoryMB: 256, WriteUnits: 90, ReadUnits: 20}}}
	var b bytes.Buffer
	require.NoError(t, Write(&b, m, ListPrices, "make cost N=1", Operation{Name: "a credit", Measured: credit, Shape: CreditShape}))
	total, floor := Total(Price(credit, ListPrices)), Total(FloorOf(CreditShape, ListPrices))
	assert.Contains(t, b.String(), "## A hold captured later, and a credit")
	assert.Contains(t, b.String(), "| a credit | 10 | 9.0 | 2.0 | ")
	assert.Contains(t, b.String(), "| (no saga) | ")
	assert.Contains(t, b.String(), "- a credit: CreateCredit 9.0")
	assert.Contains(t, b.String(), fmt.Sprintf("| %.2f | %.2f | (no saga) | %.1f× |", total, floor, total/floor), "priced per credit, against its floor")
}

func TestGoalGapInWriteUnits(t *testing.T) {
	// 28 write units at $0.625 per million: $17.50, plus the API's $3.50 and the rest.
	m := Measured{Transfers: 1, APIRequests: 1, Functions: []FunctionUsage{{Name: "F", Invocations: 1, MemoryMB: 256, WriteUnits: 28}}}
	total := Total(Price(m, ListPrices))
	gap := goalGap(m, ListPrices)
	assert.Contains(t, gap, fmt.Sprintf("takes $%.2f less", total-goalPerMillion))
	assert.Contains(t, gap, fmt.Sprintf("%.1f units fewer: %.1f per transfer, where the floor writes 14.0", (total-goalPerMillion)/0.625, 28-(total-goalPerMillion)/0.625))
	others := total - 28*0.625
	assert.Contains(t, gap, fmt.Sprintf("the goal leaves room for %.1f write units per transfer beyond the floor's, where the path writes\n14.0 more",
		(goalPerMillion-others)/0.625-14), "writes alone can reach it")
	assert.Contains(t, goalGap(Measured{Transfers: 1, APIRequests: 1}, ListPrices), "within the goal")

	// Five API requests per transfer ($17.50): even the floor's writes are over the goal.
	m.APIRequests = 5
	assert.Contains(t, goalGap(m, ListPrices), "the goal needs the other lines cut as well")
}
