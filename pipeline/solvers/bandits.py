"""Bandit learners that choose omega from the iteration counts alone (Khodak et al. 2024).

Each learner picks an arm (an index into a grid of omegas, by default
``linspace(1, 1.95, 20)``) with ``choose(context)`` and learns from ``update(loss)``, the
iterations the solve took. Randomness comes only from the ``rng`` it is given (a counter-based
stream keyed by seed and trial, `pipeline.precision.stream_generator`), so a trial makes the
same choices on any MPI rank.

* `TsallisINF` (Zimmert & Seldin 2021, "Tsallis-INF: an optimal algorithm for stochastic and
  adversarial bandits", JMLR 22(28), Algorithm 1 with alpha = 1/2 and the importance-weighted
  estimator): online mirror descent with the 1/2-Tsallis entropy, whose distribution is

      p_t,i = 4 (eta_t (L_i - x))^-2,   eta_t = 2 / sqrt(t),

  L_i the cumulative importance-weighted loss estimates and x < min L_i the normalising
  constant with sum_i p_t,i = 1, found by Newton's method. Losses are scaled by the running
  mean of the observed ones (Khodak et al.'s choice: no bound on iterations is needed in
  advance). Zimmert & Seldin's Theorem 1: for losses in [0, 1] (``scale_losses=False``) the
  pseudo-regret after T rounds is at most 4 sqrt(K T) + 1.
* `TsallisINFCB` (Khodak et al. 2024, section 3): the context interval split into m equal
  bins, an independent Tsallis-INF in each.
* `ChebCB` (Khodak et al. 2024, section 4 and appendix): per arm a least-squares regression of
  the loss on the Chebyshev polynomials T_0..T_degree of the context mapped to [-1, 1], and
  inverse-gap-weighted sampling (Abe & Long 1999; Foster & Rakhlin 2020, "Beyond UCB",
  ICML, SquareCB):

      p_a = 1 / (K + gamma_t (yhat_a - yhat_best)) for a != best,  p_best = 1 - sum of the rest,

  with gamma_t = 2 t sqrt(K t / R_t), the schedule of Khodak et al.'s code (growing
  linearly in t beyond SquareCB's anytime sqrt(K t / R_t), which explores far too much
  here), R_t an online estimate of the regression oracle's regret: the squared error of its
  predictions before each update minus the residual of the least-squares fit in hindsight,
  in loss units scaled by their running mean, at least the number of coefficients
  (degree + 1). An arm not yet pulled predicts 0, so each is tried early.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import chebyshev

DEFAULT_ARMS = np.linspace(1.0, 1.95, 20)
NEWTON_TOLERANCE = 1e-12


def tsallis_probabilities(losses: np.ndarray, eta: float) -> np.ndarray:
    """p_i = 4 (eta (L_i - x))^-2 with x such that sum p_i = 1 (Newton from the right).

    f(x) = sum_i 4 (eta (L_i - x))^-2 increases and is convex on x < min L, and
    f(min L - 2 / eta) >= 1, so Newton's steps x <- x - (f - 1) / (eta sum p^(3/2)) from
    there decrease monotonically to the root (Zimmert & Seldin 2021, section 4).
    """
    shifted = np.asarray(losses, dtype=np.float64) - np.min(losses)
    x = -2.0 / eta
    for _ in range(100):
        weights = 4.0 / (eta * (shifted - x)) ** 2
        excess = weights.sum() - 1.0
        if abs(excess) < NEWTON_TOLERANCE:
            break
        x -= excess / (eta * (weights**1.5).sum())
    return weights / weights.sum()


def sample(probabilities: np.ndarray, rng: np.random.Generator) -> int:
    """An index drawn with the given probabilities (one uniform draw from ``rng``)."""
    cumulative = np.cumsum(probabilities)
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return min(index, probabilities.size - 1)


class TsallisINF:
    """Tsallis-INF over ``arms`` (see the module doc); ``choose()`` then ``update(loss)``."""

    name = "tsallis-inf"

    def __init__(self, arms=DEFAULT_ARMS, rng=None, scale_losses: bool = True):
        self.arms = np.asarray(arms, dtype=np.float64)
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.scale_losses = scale_losses
        self.estimates = np.zeros(self.arms.size)
        self.rounds = 0
        self.loss_total = 0.0
        self.pending = None

    def scale(self) -> float:
        """The running mean of observed losses (1 before any, or when not scaling)."""
        if not self.scale_losses or self.rounds == 0 or self.loss_total <= 0:
            return 1.0
        return self.loss_total / self.rounds

    def probabilities(self) -> np.ndarray:
        eta = 2.0 / math.sqrt(self.rounds + 1)
        return tsallis_probabilities(self.estimates / self.scale(), eta)

    def choose(self, context=None) -> int:
        probabilities = self.probabilities()
        arm = sample(probabilities, self.rng)
        self.pending = (arm, probabilities[arm])
        return arm

    def update(self, loss: float) -> None:
        arm, probability = self.pending
        self.estimates[arm] += float(loss) / probability
        self.rounds += 1
        self.loss_total += float(loss)
        self.pending = None


class TsallisINFCB:
    """One `TsallisINF` per bin of the context interval (Khodak et al.'s Tsallis-INF-CB)."""

    name = "tsallis-inf-cb"

    def __init__(self, arms=DEFAULT_ARMS, rng=None, context_range=(0.0, 1.0), bins: int = 5):
        low, high = map(float, context_range)
        if not high > low or bins < 1:
            raise ValueError("Tsallis-INF-CB needs a context interval low < high and bins >= 1.")
        self.low, self.width, self.bins = low, high - low, int(bins)
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.learners = [TsallisINF(arms, self.rng) for _ in range(self.bins)]
        self.arms = self.learners[0].arms
        self.pending = None

    def bin(self, context: float) -> int:
        index = int(math.floor((float(context) - self.low) / self.width * self.bins))
        return min(max(index, 0), self.bins - 1)

    def choose(self, context) -> int:
        self.pending = self.learners[self.bin(context)]
        return self.pending.choose()

    def update(self, loss: float) -> None:
        self.pending.update(loss)
        self.pending = None


class ChebCB:
    """Chebyshev-regression contextual bandit with inverse gap weighting (module doc)."""

    name = "chebcb"

    def __init__(self, arms=DEFAULT_ARMS, rng=None, context_range=(0.0, 1.0), degree: int = 5,
                 ridge: float = 1e-8):
        low, high = map(float, context_range)
        if not high > low or degree < 0:
            raise ValueError("ChebCB needs a context interval low < high and degree >= 0.")
        self.arms = np.asarray(arms, dtype=np.float64)
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.low, self.width, self.degree, self.ridge = low, high - low, int(degree), ridge
        count, size = self.arms.size, self.degree + 1
        self.gram = np.zeros((count, size, size))
        self.moments = np.zeros((count, size))
        self.squares = np.zeros(count)
        self.coefficients = np.zeros((count, size))
        self.prediction_error = 0.0  # sum of (prediction - loss)^2, raw units
        self.rounds = 0
        self.loss_total = 0.0
        self.pending = None

    def features(self, context: float) -> np.ndarray:
        """T_0..T_degree at the context mapped affinely to [-1, 1] (clipped)."""
        z = min(max(2.0 * (float(context) - self.low) / self.width - 1.0, -1.0), 1.0)
        return chebyshev.chebvander(np.array([z]), self.degree)[0]

    def scale(self) -> float:
        return self.loss_total / self.rounds if self.rounds and self.loss_total > 0 else 1.0

    def oracle_regret(self) -> float:
        """Online squared error minus the hindsight least-squares residual (scaled units)."""
        residual = sum(self.squares[a] - 2 * self.coefficients[a] @ self.moments[a]
                       + self.coefficients[a] @ self.gram[a] @ self.coefficients[a]
                       for a in range(self.arms.size))
        excess = (self.prediction_error - residual) / self.scale() ** 2
        return max(excess, float(self.degree + 1))

    def gamma(self) -> float:
        t = max(self.rounds, 1)
        return 2.0 * t * math.sqrt(self.arms.size * t / self.oracle_regret())

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        predictions = self.coefficients @ features / self.scale()
        best = int(np.argmin(predictions))
        gaps = predictions - predictions[best]
        probabilities = 1.0 / (self.arms.size + self.gamma() * gaps)
        probabilities[best] = 0.0
        probabilities[best] = 1.0 - probabilities.sum()
        return probabilities

    def choose(self, context) -> int:
        features = self.features(context)
        arm = sample(self.probabilities(features), self.rng)
        self.pending = (arm, features, float(self.coefficients[arm] @ features))
        return arm

    def update(self, loss: float) -> None:
        arm, features, prediction = self.pending
        loss = float(loss)
        self.prediction_error += (prediction - loss) ** 2
        self.gram[arm] += np.outer(features, features)
        self.moments[arm] += loss * features
        self.squares[arm] += loss**2
        regularised = self.gram[arm] + self.ridge * np.eye(self.degree + 1)
        self.coefficients[arm] = np.linalg.lstsq(regularised, self.moments[arm], rcond=None)[0]
        self.rounds += 1
        self.loss_total += loss
        self.pending = None


LEARNERS = {learner.name: learner for learner in (TsallisINF, TsallisINFCB, ChebCB)}
