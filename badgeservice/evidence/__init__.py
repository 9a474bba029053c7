"""Recognition of prior learning (osaamisen tunnistaminen): a learner submits evidence for a
sub-goal, an assessor accepts it (the badge is issued with that evidence, method
``assessor``) or returns it with a reason. Above awards: accepting is an award."""
