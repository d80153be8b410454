#!/usr/bin/env bash
# pytest exits 5 when it collects nothing; for us that means a broken selection, so say so.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
  echo "error: pytest collected no tests for: $*" >&2
  exit 1
fi
exit $rc
