"""Learning plans: curriculum, planner, learner state, and the commands built on them."""
