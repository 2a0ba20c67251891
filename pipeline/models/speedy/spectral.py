"""Spherical-harmonic transforms on a Gaussian grid, in the run's number format.

A field on the sphere is expanded in spherical harmonics up to triangular truncation T,

    f(lambda, mu) = sum_{m=-T}^{T} sum_{l=|m|}^{T} f_lm Pbar_lm(mu) e^{i m lambda},

with mu = sin(latitude) and Pbar_lm the associated Legendre functions normalised so that
int_{-1}^{1} Pbar_lm(mu)^2 dmu = 1 (no Condon-Shortley phase). Real fields keep m >= 0 only
(f_{l,-m} = conj(f_lm)). Coefficients are stored as complex arrays (..., T + 1, T + 1)
indexed [m, l]; entries with l < m are zero.

Transforms (Hoskins & Simmons 1975, Q. J. R. Meteorol. Soc. 101, 637; Durran 2010,
"Numerical Methods for Fluid Dynamics", section 6.3):

* longitude: a real FFT over I equally spaced longitudes, f_m(mu_j) = (1/I) sum_i f e^{-i m lambda_i};
* latitude: Gauss-Legendre quadrature on J Gaussian latitudes (the roots of P_J),
  f_lm = sum_j w_j f_m(mu_j) Pbar_lm(mu_j), and the synthesis f_m(mu_j) = sum_l f_lm Pbar_lm(mu_j).

With I >= 3T + 1 and J >= (3T + 1)/2 quadratic products are transformed without aliasing
(Orszag 1970): T30 on 96 x 48 and T21 on 64 x 32 (SPEEDY's grids) satisfy both.

Vector fields enter as (A, B) = (F_lambda cos(phi), F_phi cos(phi)); on the unit sphere

    div F  = [dA/dlambda + (1 - mu^2) dB/dmu] / (1 - mu^2),
    curl F = [dB/dlambda - (1 - mu^2) dA/dmu] / (1 - mu^2),

and their coefficients follow by integrating the mu-derivative by parts against
H_lm = (1 - mu^2) dPbar_lm/dmu = -l eps_{l+1,m} Pbar_{l+1,m} + (l + 1) eps_lm Pbar_{l-1,m},
eps_lm = sqrt((l^2 - m^2) / (4 l^2 - 1)):

    (div F)_lm  = sum_j w_j / (1 - mu_j^2) [i m A_m Pbar_lm - B_m H_lm],
    (curl F)_lm = sum_j w_j / (1 - mu_j^2) [i m B_m Pbar_lm + A_m H_lm].

Precision: the Legendre tables are computed once in float64 by the standard three-term
recurrence, then rounded to the run's format. Legendre sums are matrix products and the FFT
a NumPy function: both accumulate wide (float64) and round each result once, as a fused
multiply-add unit would (see `pipeline.precision.array`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def gaussian_latitudes(nlat: int) -> tuple[np.ndarray, np.ndarray]:
    """(mu_j, w_j): the roots of the Legendre polynomial P_nlat, ascending, and their
    Gauss-Legendre weights (sum 2)."""
    return np.polynomial.legendre.leggauss(nlat)


def legendre_table(lmax: int, mu: np.ndarray) -> np.ndarray:
    """Pbar_lm(mu) for 0 <= m <= l <= lmax as an array [m, l, j] (zero where l < m).

    Pbar_00 = 1/sqrt(2), Pbar_mm = sqrt((2m + 1)/(2m)) sqrt(1 - mu^2) Pbar_{m-1,m-1},
    Pbar_{m+1,m} = sqrt(2m + 3) mu Pbar_mm and mu Pbar_{l-1,m} = eps_lm Pbar_lm
    + eps_{l-1,m} Pbar_{l-2,m}; stable for the degrees used here (lmax < 200).
    """
    mu = np.asarray(mu, dtype=np.float64)
    table = np.zeros((lmax + 1, lmax + 1, mu.size))
    cos_lat = np.sqrt(1.0 - mu**2)
    diagonal = np.full(mu.size, 1.0 / np.sqrt(2.0))
    for m in range(lmax + 1):
        if m > 0:
            diagonal = np.sqrt((2 * m + 1) / (2 * m)) * cos_lat * diagonal
        table[m, m] = diagonal
        if m + 1 <= lmax:
            table[m, m + 1] = np.sqrt(2 * m + 3) * mu * diagonal
        for l in range(m + 2, lmax + 1):
            table[m, l] = (mu * table[m, l - 1] - epsilon(l - 1, m) * table[m, l - 2]) / epsilon(l, m)
    return table


def epsilon(l: int, m: int) -> float:
    """eps_lm = sqrt((l^2 - m^2) / (4 l^2 - 1)) for l > m, else 0."""
    return float(np.sqrt((l * l - m * m) / (4.0 * l * l - 1.0))) if l > abs(m) else 0.0


def derivative_table(truncation: int, mu: np.ndarray) -> np.ndarray:
    """H_lm(mu) = (1 - mu^2) dPbar_lm/dmu for 0 <= m <= l <= truncation, as [m, l, j]."""
    legendre = legendre_table(truncation + 1, mu)
    table = np.zeros((truncation + 1, truncation + 1, np.size(mu)))
    for m in range(truncation + 1):
        for l in range(m, truncation + 1):
            below = legendre[m, l - 1] if l - 1 >= m else 0.0
            table[m, l] = -l * epsilon(l + 1, m) * legendre[m, l + 1] + (l + 1) * epsilon(l, m) * below
    return table


@dataclass(frozen=True)
class Grid:
    """A Gaussian grid: ``nlon`` longitudes from 0 E, ``nlat`` latitudes south to north."""

    truncation: int
    nlon: int
    nlat: int

    def check(self) -> str | None:
        if self.truncation < 1:
            return f"truncation must be at least 1, got {self.truncation}"
        if self.nlon < 3 * self.truncation + 1 or 2 * self.nlat < 3 * self.truncation + 1:
            return (f"the grid {self.nlon} x {self.nlat} is too coarse for T{self.truncation}: "
                    f"it needs at least {3 * self.truncation + 1} longitudes and "
                    f"{(3 * self.truncation + 2) // 2} latitudes to transform products without aliasing")
        return None

    @property
    def mu(self) -> np.ndarray:
        return gaussian_latitudes(self.nlat)[0]

    @property
    def weights(self) -> np.ndarray:
        return gaussian_latitudes(self.nlat)[1]

    @property
    def latitude(self) -> np.ndarray:
        """degrees_north."""
        return np.degrees(np.arcsin(self.mu))

    @property
    def longitude(self) -> np.ndarray:
        """degrees_east."""
        return 360.0 * np.arange(self.nlon) / self.nlon


def standard_grid(truncation: int) -> Grid:
    """SPEEDY's grids (T30: 96 x 48, T21: 64 x 32), otherwise the smallest alias-free grid
    with an FFT-friendly longitude count (a multiple of 4) and nlon = 2 nlat."""
    known = {30: (96, 48), 21: (64, 32), 42: (128, 64), 63: (192, 96), 85: (256, 128)}
    if truncation in known:
        return Grid(truncation, *known[truncation])
    nlon = 3 * truncation + 1
    nlon += (-nlon) % 4
    return Grid(truncation, nlon, nlon // 2)


class SpectralTransform:
    """Grid <-> spectral transforms of one `Grid`, with tables held in the run's format.

    ``convert`` rounds a float64 table to the run's format (identity for float64). Grid
    fields are held as (..., nlon, nlat): longitude on the second-last axis, so the FFT's
    output is directly the Legendre transform's input.
    """

    def __init__(self, grid: Grid, convert=lambda table: table):
        self.grid = grid
        t = grid.truncation
        mu, weights = grid.mu, grid.weights
        orders = np.arange(t + 1)  # m
        degrees = np.arange(t + 1)  # l
        legendre = legendre_table(t, mu)  # [m, l, j]
        derivative = derivative_table(t, mu)
        self.mask = degrees[None, :] >= orders[:, None]  # [m, l]
        self.eigenvalues = -(degrees * (degrees + 1.0))[None, :] * self.mask  # of the Laplacian
        inverse = np.divide(1.0, degrees * (degrees + 1.0), out=np.zeros(t + 1), where=degrees > 0)
        m = orders[:, None, None].astype(np.float64)
        coslat2 = 1.0 - mu**2
        # Synthesis tables [m, l, j]. The FFTs are normalised "forward" (rfft divides by nlon,
        # irfft does not), so Fourier coefficients are no larger than the grid values they
        # come from: unnormalised, they would overflow 5-exponent-bit formats.
        self.synth = convert(legendre)
        self.synth_m = convert(m * legendre)
        self.synth_h = convert(derivative)
        # Winds from vorticity and divergence: U = sum zeta H / (l(l+1)) - i m D Pbar / (l(l+1)).
        self.synth_h_inverse = convert(derivative * inverse[None, :, None])
        self.synth_m_inverse = convert(m * legendre * inverse[None, :, None])
        # Analysis tables [m, j, l] (with the Gauss weights folded in).
        self.analysis_table = np.swapaxes(legendre * weights, 1, 2)
        self.analysis = convert(self.analysis_table)
        vector_weights = weights / coslat2
        self.vector_m = np.swapaxes(m * legendre * vector_weights, 1, 2)
        self.vector_h = np.swapaxes(derivative * vector_weights, 1, 2)

    # --- the two halves of each transform --------------------------------------------------

    @staticmethod
    def legendre(coefficients, table):
        """sum_n x[..., m, n] table[m, n, k] for complex x and a real table: (..., M, K).

        Real and imaginary parts are stacked into one batched real matrix product per m.
        """
        orders, inner = coefficients.shape[-2:]
        lead = coefficients.shape[:-2]
        batch = int(np.prod(lead, dtype=np.int64))
        flat = coefficients.reshape((batch, orders, inner))
        stacked = np.stack((flat.real, flat.imag))  # (2, batch, M, N)
        stacked = np.moveaxis(stacked, 2, 0).reshape((orders, 2 * batch, inner))
        product = stacked @ table  # (M, 2 batch, K)
        outer = product.shape[-1]
        pairs = np.moveaxis(product.reshape((orders, 2, batch, outer)), 1, -1)  # (M, b, K, 2)
        complex_type = np.result_type(product.dtype, np.complex64)  # complex64 for native float32
        complex_values = pairs.copy(order="C").view(complex_type)[..., 0]  # (M, b, K)
        return np.moveaxis(complex_values, 0, 1).reshape(lead + (orders, outer))

    def fourier_to_grid(self, fourier):
        """(..., M, nlat) Fourier coefficients -> (..., nlon, nlat) grid values."""
        return np.fft.irfft(fourier, n=self.grid.nlon, axis=-2, norm="forward")

    def grid_to_fourier(self, values):
        """(..., nlon, nlat) grid values -> (..., M, nlat) Fourier coefficients (divided by
        nlon: the m = 0 one is the zonal mean)."""
        return np.fft.rfft(values, axis=-2, norm="forward")[..., : self.grid.truncation + 1, :]

    # --- whole transforms ---------------------------------------------------------------

    def to_grid(self, coefficients, table=None):
        """Synthesis: spectral (..., M, L) -> grid (..., nlon, nlat)."""
        return self.fourier_to_grid(self.legendre(coefficients, self.synth if table is None else table))

    def to_spectral(self, values):
        """Analysis: grid (..., nlon, nlat) -> spectral (..., M, L)."""
        return self.legendre(self.grid_to_fourier(values), self.analysis)

    def gradient(self, coefficients):
        """(df/dlambda, (1 - mu^2) df/dmu) on the grid: cos(phi) times the unit-sphere gradient,
        that is (A, B) of the vector grad f."""
        along = self.fourier_to_grid(1j * self.legendre(coefficients, self.synth_m))
        across = self.to_grid(coefficients, self.synth_h)
        return along, across

    def winds(self, vorticity, divergence):
        """(U, V) = (u cos(phi), v cos(phi)) on the grid from unit-sphere vorticity and
        divergence: U = -(1 - mu^2) dpsi/dmu + dchi/dlambda, V = dpsi/dlambda + (1 - mu^2) dchi/dmu,
        with Laplacian(psi) = zeta, Laplacian(chi) = D."""
        h_part = self.legendre(np.stack((vorticity, divergence)), self.synth_h_inverse)
        m_part = self.legendre(np.stack((vorticity, divergence)), self.synth_m_inverse)
        u = h_part[0] - 1j * m_part[1]
        v = -1j * m_part[0] - h_part[1]
        return self.fourier_to_grid(u), self.fourier_to_grid(v)

    def divergence_curl(self, a_fourier, b_fourier, vector_m, vector_h):
        """(div F, curl F) coefficients from the Fourier coefficients of A = F_lambda cos(phi)
        and B = F_phi cos(phi); ``vector_m``/``vector_h`` are the (converted, possibly
        scaled) vector tables."""
        m_part = self.legendre(np.stack((a_fourier, b_fourier)), vector_m)
        h_part = self.legendre(np.stack((a_fourier, b_fourier)), vector_h)
        divergence = 1j * m_part[0] - h_part[1]
        curl = 1j * m_part[1] + h_part[0]
        return divergence, curl
