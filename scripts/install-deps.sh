#!/usr/bin/env bash
# Installs, from Debian 12's apt, whatever nnsweep needs that is missing (nothing is downloaded
# from elsewhere; compute nodes are offline). Idempotent: exits quickly when all is there.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --bench    also PyTorch (the peer in bench/)
#   scripts/install-deps.sh --checks   also clang-format and clang-tidy (scripts/check.sh, CI)
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libopenmpi-dev openmpi-bin libboost-mpi-dev libboost-program-options-dev libboost-dev
  libeigen3-dev libhdf5-openmpi-dev hdf5-tools catch2 librandom123-dev
  python3 python3-numpy python3-h5py python3-pandas python3-matplotlib python3-xarray python3-h5netcdf python3-pytest
  udunits-bin chromium   # tests: units checked with udunits2; the HTML report rendered headless
  slurm-wlm munge
)
for option in "$@"; do
  case "$option" in
    --bench) packages+=(python3-torch) ;;
    --checks) packages+=(clang-format-14 clang-tidy-14) ;;
    *) echo "install-deps.sh: unknown option '$option' (use --bench or --checks)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "error: need root (or sudo) to apt-get install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
