#!/usr/bin/env bash
# Puts the easynets tool on the PATH: builds it in release mode and installs under PREFIX (default
# ~/.local) bin/easynets (and bin/easynets-mpi when Open MPI's pkg-config file is present), the man
# page share/man/man1/easynets.1 (made by swift-argument-parser's generate-manual), and completions
# for bash, zsh and fish. Each file is written to a temporary name and renamed into place.
# Usage: scripts/install.sh [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-${PREFIX:-$HOME/.local}}
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac

scripts/setup.sh
products=(easynets)
if pkg-config --exists ompi-c; then products+=(easynets-mpi); fi
for product in "${products[@]}"; do swift build -c release --product "$product"; done
bin=$(swift build -c release --show-bin-path)

# The man page generator is an executable of swift-argument-parser, built from its checkout.
swift build -c release --package-path .build/checkouts/swift-argument-parser --product generate-manual \
    --scratch-path .build/generate-manual
manual=$(mktemp -d)
trap 'rm -rf "$manual"' EXIT
.build/generate-manual/release/generate-manual "$bin/easynets" --output-directory "$manual"

place() {  # place MODE SOURCE DESTINATION: copies under a temporary name, then renames into place
    mkdir -p "$(dirname "$3")"
    install -m "$1" "$2" "$3.tmp-$$"
    mv -f "$3.tmp-$$" "$3"
}
for product in "${products[@]}"; do place 755 "$bin/$product" "$prefix/bin/$product"; done
place 644 "$manual/easynets.1" "$prefix/share/man/man1/easynets.1"
"$bin/easynets" --generate-completion-script bash > "$manual/bash"
"$bin/easynets" --generate-completion-script zsh > "$manual/zsh"
"$bin/easynets" --generate-completion-script fish > "$manual/fish"
place 644 "$manual/bash" "$prefix/share/bash-completion/completions/easynets"
place 644 "$manual/zsh" "$prefix/share/zsh/site-functions/_easynets"
place 644 "$manual/fish" "$prefix/share/fish/vendor_completions.d/easynets.fish"

echo "Installed ${products[*]} in $prefix/bin, the man page (man easynets) and completions for bash, zsh and fish."
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "Add $prefix/bin to your PATH, e.g. in ~/.profile: export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
