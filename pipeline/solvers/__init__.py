"""Linear solvers and parameter-learning bandits."""
