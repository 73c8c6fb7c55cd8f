#!/usr/bin/env bash
# Builds a JRE 17 base image from Debian packages, for Jib to build on where no image registry is
# reachable: debootstrap (minbase, bookworm) with openjdk-17-jre-headless, as a `docker save`
# tarball that Jib reads with `-Dimage.base=tar://<path>`. Needs root and debootstrap
# (apt-get install -y debootstrap); takes about 30 s. Output: $RR_IMAGE_BASE_CACHE (default
# ~/.cache/rr-image-base)/<key>/base.tar, where <key> is a hash of this script, so a second run
# does nothing. Prints the tarball's path on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
key="$(sha256sum "$here/build-base.sh" | cut -c1-16)"
cache="${RR_IMAGE_BASE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rr-image-base}/$key"
if [[ -f "$cache/base.tar" ]]; then
  echo "base image up to date in $cache/base.tar" >&2
  echo "$cache/base.tar"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "build-base.sh: needs debootstrap (apt-get install -y debootstrap)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "build-base.sh: debootstrap needs root" >&2; exit 1; }

work="$cache.tmp"
rm -rf "$work"
mkdir -p "$work"
start=$(date +%s)
# debootstrap's default mirror: Debian's own
debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$work/rootfs" \
  >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
# what a JRE base needs no copy of: package caches and lists, docs, logs
rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/lib/apt/lists/* \
  "$work/rootfs"/usr/share/doc/* "$work/rootfs"/usr/share/man/* "$work/rootfs"/var/log/*

# one layer, one config, one manifest: the `docker save` layout
mkdir -p "$work/image"
tar --numeric-owner --sort=name --mtime=@0 -C "$work/rootfs" -cf "$work/image/layer.tar" .
diff_id="sha256:$(sha256sum "$work/image/layer.tar" | cut -d' ' -f1)"
cat >"$work/image/config.json" <<JSON
{"architecture":"amd64","os":"linux",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64"]},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]},
 "history":[{"created_by":"debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm"}]}
JSON
config="$(sha256sum "$work/image/config.json" | cut -d' ' -f1).json"
mv "$work/image/config.json" "$work/image/$config"
echo "[{\"Config\":\"$config\",\"RepoTags\":[\"rr-base/debian-jre17:bookworm\"],\"Layers\":[\"layer.tar\"]}]" \
  >"$work/image/manifest.json"
tar --sort=name --mtime=@0 -C "$work/image" -cf "$work/base.tar" manifest.json "$config" layer.tar
mkdir -p "$cache"
mv "$work/base.tar" "$cache/base.tar"
rm -rf "$work"
echo "built base image in $(( $(date +%s) - start ))s: $cache/base.tar" >&2
echo "$cache/base.tar"
