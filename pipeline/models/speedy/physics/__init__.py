"""SPEEDY's simplified physics (Molteni 2003, Clim. Dyn. 20, 175; Kucharski et al. 2006,
Bull. Amer. Meteor. Soc. 87, 1529, and 2013, Adv. Atmos. Sci. 30, 1757: version 41), one
module per process, each a pure function of grid-point columns.

Columns are arrays shaped (member, level, lon, lat) with levels on axis 1 from the top;
single-level fields are (member, lon, lat). The functions use plain NumPy operators only, so
they run at any number format through `pipeline.precision.LowPrecisionArray` and never
branch on it; each module's constants are rounded to the format once, by its ``*_constants``
function, from a parameters dataclass holding SPEEDY's values.

Units and scalings, chosen so that every value stays well inside float16's range
(6.1e-5 .. 65504) where that is possible:

* humidity q in g/kg (SPEEDY's unit), temperature in K, pressure as p_s / p_0;
* energies divided by c_p: dry static energy s = T + Phi/c_p and moist static energy
  h = s + (L/c_p) q in K (c_p T + Phi, ~3e5 J/kg, would overflow e5m10);
* each scheme returns what each layer gains per unit area: energy fluxes in K kg m-2 s-1
  (W m-2 / c_p) from convection, condensation, surface fluxes and vertical diffusion, in
  W m-2 from radiation, water in g m-2 s-1, momentum in N m-2. One conversion,
  dX/dt = F g / (p_0 p_s dsigma_k), turns any of them into a tendency (`levels`).

Modules: `humidity` (saturation), `convection`, `large_scale_condensation`.
"""
