#!/usr/bin/env bash
# Runs every test, on a fresh machine too: installs what the tests need when it can, then the Maven build.
#   - promtool (Debian's `prometheus` package) for the alert-rule tests in observability/: installed with
#     apt-get when this runs as root (or with passwordless sudo); otherwise those tests are skipped, loudly.
#   - a real llama.cpp llama-server (../shared/peers/llama, Debian sid packages in a private work dir) for
#     vllm-client's LlamaServerPeerTest: set up when ../shared/peers is there; otherwise, or when the setup
#     fails (sid moves), those tests are skipped, loudly, and the rest of the suite decides the result.
# Extra arguments go to Maven. Needs a JDK 17+ and gcc (the NVML shim); Maven comes with the wrapper.
set -uo pipefail
cd "$(dirname "$0")"
loud() { printf '\n!!! %s !!!\n\n' "$*" >&2; }
maven_args=()

sudo_cmd=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo_cmd="sudo -n"; fi
can_apt() { command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$sudo_cmd" ]; }; }

if ! command -v promtool >/dev/null 2>&1 && can_apt; then
  echo "run-tests: installing promtool (Debian package prometheus)"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq >/dev/null 2>&1
  $sudo_cmd apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 || true
fi
if command -v promtool >/dev/null 2>&1; then
  echo "run-tests: $(promtool --version 2>&1 | head -1)"
else
  loud "promtool is not installed and could not be installed (needs root or sudo and apt-get): the promtool tests in observability/ are SKIPPED"
  maven_args+=("-Dinferscope.promtool.skip=true")
fi

peers="$(cd .. && pwd)/shared/peers"
if [ -z "${INFERSCOPE_LLAMA_WORK:-}" ]; then
  if [ -x "$peers/llama/setup.sh" ] || [ -f "$peers/llama/setup.sh" ]; then
    work="${TMPDIR:-/tmp}/inferscope-llama-peer"
    echo "run-tests: setting up llama-server in $work"
    if bash "$peers/llama/setup.sh" "$work" > "$work.setup.log" 2>&1; then
      export INFERSCOPE_LLAMA_WORK="$work"
      echo "run-tests: llama-server ready ($(tr '\n' ' ' < "$work/llama-versions.txt" 2>/dev/null | cut -c1-160))"
    else
      loud "llama-server could not be set up (see $work.setup.log; last line: $(tail -n 1 "$work.setup.log")): the llama-server tests did NOT run"
    fi
  else
    loud "no $peers: the llama-server tests did NOT run"
  fi
fi

exec ./mvnw -B verify "${maven_args[@]}" "$@"
