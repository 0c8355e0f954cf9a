#!/bin/sh
# Rebuilds the console's vendored JavaScript from the npm registry (versions pinned in
# package.json and package-lock.json). The outputs are committed, so neither `make test` nor a
# running service needs node or the network:
#   ../static/vendor/editor.bundle.js  CodeMirror 6 (YAML, lint, autocomplete, merge) + editor.js
#   ../static/vendor/htmx.min.js       htmx, as published
# Run: sh console/assets/build.sh
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
./node_modules/.bin/esbuild editor.js --bundle --minify --format=iife --target=es2020 \
  --legal-comments=eof --outfile=../static/vendor/editor.bundle.js
cp node_modules/htmx.org/dist/htmx.min.js ../static/vendor/htmx.min.js
echo "built: $(wc -c < ../static/vendor/editor.bundle.js) bytes editor, $(wc -c < ../static/vendor/htmx.min.js) bytes htmx"
