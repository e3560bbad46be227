#!/usr/bin/env bash
# README command 1: install, build, make development certificates, and run the
# hub in the foreground on the embedded default (SQLite under data/, the
# example config). Stop it with Ctrl-C; SIGHUP reloads the config.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
bash "$root/scripts/gen-dev-certs.sh" "$root/dev-certs"
mkdir -p "$root/data"
"$root/build/ketenhub" config check --config "$root/config/ketenhub.example.xml"
exec "$root/build/ketenhub" serve --config "$root/config/ketenhub.example.xml"
