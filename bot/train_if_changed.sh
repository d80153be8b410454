#!/usr/bin/env bash
# Train the Rasa model only when config.yml, domain.yml or data/ changed since the last
# training (content hash, not timestamps, so a fresh clone of the same data does not retrain
# once a model exists).
set -euo pipefail
cd "$(dirname "$0")/.."

model=models/crm.tar.gz
stamp=models/crm.fingerprint
fingerprint=$( { sha256sum config.yml domain.yml; find data -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1)

if [[ "${1:-}" != "--force" && -f "$model" && -f "$stamp" && "$(cat "$stamp")" == "$fingerprint" ]]; then
  echo "Rasa model is up to date ($model)"
  exit 0
fi

echo "training the Rasa model (config.yml, domain.yml or data/ changed) ..."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONWARNINGS=ignore
mkdir -p models var/log
.venv-rasa/bin/rasa train --config config.yml --domain domain.yml --data data \
  --out models --fixed-model-name crm >var/log/train.log 2>&1 || {
  echo "rasa train failed; last lines of var/log/train.log:" >&2
  tail -n 30 var/log/train.log >&2
  exit 1
}
echo "$fingerprint" >"$stamp"
echo "trained $model"
