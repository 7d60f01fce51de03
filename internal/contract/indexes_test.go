package contract

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/deploy"
	"github.com/serverless-wallet/wallet/internal/dynamo"
)

// TestRewardsHistoryIndexProjectsWhatALineShows: the rewards table's index of the
// history projects exactly the attributes the adapter reads for a line. One it reads and
// the index lacks would fail every history query on AWS (a global secondary index answers
// only what it projects); one it projects and nobody reads costs a write on every claim
// change that touches it.
func TestRewardsHistoryIndexProjectsWhatALineShows(t *testing.T) {
	root := loadYAML(t, templatePath)
	table := deploy.MapValue(deploy.MapValue(root, "Resources"), "RewardsTable")
	require.NotNil(t, table, "template.yaml has no RewardsTable")
	var found bool
	for _, gsi := range deploy.MapValue(deploy.MapValue(table, "Properties"), "GlobalSecondaryIndexes").Content {
		if scalar(deploy.MapValue(gsi, "IndexName")) != dynamo.RewardsByTime {
			continue
		}
		found = true
		projection := deploy.MapValue(gsi, "Projection")
		assert.Equal(t, "INCLUDE", scalar(deploy.MapValue(projection, "ProjectionType")))
		var projected []string
		for _, n := range deploy.MapValue(projection, "NonKeyAttributes").Content {
			projected = append(projected, n.Value)
		}
		assert.ElementsMatch(t, dynamo.RewardsHistoryAttributes, projected)
	}
	assert.True(t, found, "RewardsTable has no index %s", dynamo.RewardsByTime)
}
