! Drive speedy.f90's physics routines on given grid-point columns and print what each
! scheme returns, so that lowprec's column physics can be compared with it side by side.
! This file is lowprec's own; it only calls speedy.f90's public routines (built from
! ../shared/anchors/speedy-f90, which is not copied into lowprec). Run by
! benchmarks/compare_speedy_columns.py.
!
! Input (stdin): tyear ncolumns, then per column: ps/p0, SST (K), T(1..kx) (K), q(1..kx)
! (g/kg), u(1..kx), v(1..kx) (m/s), phi(1..kx) (m2/s2), top level first. Columns fill the
! grid row by row (i fastest); the rest of the grid repeats column 1. All land fields are
! set to an aquaplanet (land fraction 0).
program columns
    use types, only: p
    use params
    use physical_constants, only: cp, grdsig, grdscp
    use geometry, only: initialize_geometry, sia
    use physics, only: initialize_physics
    use humidity, only: spec_hum_to_rel_hum
    use geometry, only: fsg
    use convection, only: get_convection_tendencies
    use large_scale_condensation, only: get_large_scale_condensation_tendencies
    use shortwave_radiation, only: get_shortwave_rad_fluxes, clouds, get_zonal_average_fields
    use longwave_radiation, only: get_downward_longwave_rad_fluxes, &
        & get_upward_longwave_rad_fluxes, radset
    use surface_fluxes, only: get_surface_fluxes, set_orog_land_sfc_drag
    use vertical_diffusion, only: get_vertical_diffusion_tend
    use mod_radcon, only: albsfc, alb_l, alb_s, snowc, albsea
    use land_model, only: stl_am, soilw_am

    implicit none

    real(p), dimension(ix,il,kx) :: tg, qg, ug, vg, phig, se, rh, qsat
    real(p), dimension(ix,il,kx) :: dfse, dfqa, dtlsc, dqlsc, tt_rsw, tt_rlw, ut, vt, tt, qt
    real(p), dimension(ix,il) :: psg, sst, phis0, fmask, gse, cbmf, precnv, precls, cloudc, clstr
    real(p), dimension(ix,il) :: ssrd, ssr, tsr, slrd, olr, slr, ts, tskin, u0, v0, t0
    real(p), dimension(ix,il,3) :: ustr, vstr, shf, evap, slru
    real(p), dimension(ix,il,2) :: hfluxn
    integer :: iptop(ix,il), icltop(ix,il), icnv(ix,il)
    real(p) :: tyear
    integer :: n, c, i, j, k

    call initialize_geometry
    call initialize_physics
    call radset

    read(*,*) tyear, n
    do c = 1, n
        i = mod(c - 1, ix) + 1
        j = (c - 1)/ix + 1
        read(*,*) psg(i,j), sst(i,j), (tg(i,j,k), k = 1, kx), (qg(i,j,k), k = 1, kx), &
            & (ug(i,j,k), k = 1, kx), (vg(i,j,k), k = 1, kx), (phig(i,j,k), k = 1, kx)
    end do
    do c = n + 1, ix*il
        i = mod(c - 1, ix) + 1
        j = (c - 1)/ix + 1
        psg(i,j) = psg(1,1)
        sst(i,j) = sst(1,1)
        tg(i,j,:) = tg(1,1,:)
        qg(i,j,:) = qg(1,1,:)
        ug(i,j,:) = ug(1,1,:)
        vg(i,j,:) = vg(1,1,:)
        phig(i,j,:) = phig(1,1,:)
    end do

    ! Aquaplanet surface: open sea everywhere, no orography, no land heat.
    phis0 = 0.0
    fmask = 0.0
    snowc = 0.0
    alb_l = albsea
    alb_s = albsea
    albsfc = albsea
    stl_am = 288.0
    soilw_am = 0.0
    call set_orog_land_sfc_drag(phis0)
    call get_zonal_average_fields(tyear)

    ! The order of physics.f90 (get_physical_tendencies).
    qg = max(qg, 0.0)
    se = cp*tg + phig
    do k = 1, kx
        call spec_hum_to_rel_hum(tg(:,:,k), psg, fsg(k), qg(:,:,k), rh(:,:,k), qsat(:,:,k))
    end do
    call get_convection_tendencies(psg, se, qg, qsat, iptop, cbmf, precnv, dfse, dfqa)
    icnv = kx - iptop
    call get_large_scale_condensation_tendencies(psg, qg, qsat, iptop, precls, dtlsc, dqlsc)
    gse = (se(:,:,kx-1) - se(:,:,kx))/(phig(:,:,kx-1) - phig(:,:,kx))
    call clouds(qg, rh, precnv, precls, iptop, gse, fmask, icltop, cloudc, clstr)
    call get_shortwave_rad_fluxes(psg, qg, icltop, cloudc, clstr, ssrd, ssr, tsr, tt_rsw)
    call get_downward_longwave_rad_fluxes(tg, slrd, tt_rlw)
    call get_surface_fluxes(psg, ug, vg, tg, qg, rh, phig, phis0, fmask, sst, ssrd, slrd, &
        & ustr, vstr, shf, evap, slru, hfluxn, ts, tskin, u0, v0, t0, .true.)
    call get_upward_longwave_rad_fluxes(tg, ts, slrd, slru(:,:,3), slr, olr, tt_rlw)
    call get_vertical_diffusion_tend(se, rh, qg, qsat, phig, icnv, ut, vt, tt, qt)

    ! One line per column: sin(lat), then each scheme's raw outputs (speedy.f90's units).
    do c = 1, n
        i = mod(c - 1, ix) + 1
        j = (c - 1)/ix + 1
        write(*,'(*(es25.16e3))') sia(j), real(iptop(i,j), p), cbmf(i,j), precnv(i,j), &
            & precls(i,j), (dfse(i,j,k), k = 1, kx), (dfqa(i,j,k), k = 1, kx), &
            & (dtlsc(i,j,k), k = 1, kx), (dqlsc(i,j,k), k = 1, kx), &
            & real(icltop(i,j), p), cloudc(i,j), clstr(i,j), &
            & ssrd(i,j), ssr(i,j), tsr(i,j), (tt_rsw(i,j,k), k = 1, kx), &
            & slrd(i,j), olr(i,j), slr(i,j), (tt_rlw(i,j,k), k = 1, kx), &
            & ustr(i,j,3), vstr(i,j,3), shf(i,j,3), evap(i,j,3), slru(i,j,3), t0(i,j), &
            & (tt(i,j,k), k = 1, kx), (qt(i,j,k), k = 1, kx), real(icnv(i,j), p)
    end do
end program
