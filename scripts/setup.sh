#!/usr/bin/env bash
# Create .venv/ and install rxalign into it (editable), with optional extras: `scripts/setup.sh dev`.
# torch is installed first as torch==2.13.0 when the environment has none (a local CPU wheel on the
# project's machines), so that no unpinned CUDA build is pulled in by the dependency resolver.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check "$@"; }
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing torch==2.13.0"
  pip install --quiet torch==2.13.0
fi
echo "setup: installing rxalign${extras:+[$extras]}"
pip install --quiet -c constraints.txt -e ".${extras:+[$extras]}" 2> >(grep -v "^WARNING: Location" >&2)
