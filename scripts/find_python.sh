#!/usr/bin/env bash
# Print the path of a Python interpreter of the wanted minor version, or explain what to
# install. Usage: scripts/find_python.sh 3.10   (exact minor)   |   scripts/find_python.sh 3.11+
set -euo pipefail
want=$1

works() { "$1" -c 'import sys, venv' >/dev/null 2>&1; }
version_ok() {
  local v
  v=$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || return 1
  if [[ $want == *+ ]]; then
    [[ $(printf '%s\n%s\n' "${want%+}" "$v" | sort -V | head -n1) == "${want%+}" ]]
  else
    [[ $v == "$want" ]]
  fi
}

candidates=()
if [[ $want == *+ ]]; then
  candidates+=(python3 python3.13 python3.12 python3.11)
else
  candidates+=("python$want")
fi
for name in "${candidates[@]}"; do
  if path=$(command -v "$name" 2>/dev/null) && works "$path" && version_ok "$path"; then
    echo "$path"; exit 0
  fi
done
# pyenv installs versions that its shims hide unless selected.
for path in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"${want%+}"*/bin/python3 /usr/bin/python"${want%+}" /usr/local/bin/python"${want%+}"; do
  if [[ -x $path ]] && works "$path" && version_ok "$path"; then
    echo "$path"; exit 0
  fi
done

echo "error: Python $want is required but was not found." >&2
if [[ $want == 3.10 ]]; then
  echo "  Rasa 3.6 runs only on Python 3.10. Install it, for example with" >&2
  echo "  'pyenv install 3.10' or 'apt-get install python3.10 python3.10-venv', then re-run." >&2
else
  echo "  The backend needs Python 3.11 or newer (Presidio). Install it and re-run." >&2
fi
exit 1
