package search

import "testing"

func TestLikeEscape(t *testing.T) {
	if got := likeEscape(`50%_a\b`); got != `50\%\_a\\b` {
		t.Errorf("likeEscape: %s", got)
	}
}
