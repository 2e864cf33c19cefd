# shellcheck shell=bash
# What scripts/stand-in-images* share, sourced by each (after `set -euo pipefail`): the
# checks, the busybox and CA bundle every image uses, Debian package downloads, the content
# hash label, rootfs pieces and the import. A script adds only its images' own parts.
#
# Each image is `docker import`ed from a rootfs assembled in $WORK and carries the label
# shallot.stand-in.hash: a hash of this library, the script and every input (what the
# script's hash function prints). An image with the current hash is not rebuilt
# (SHALLOT_STAND_IN_REBUILD=1 forces it). SHALLOT_BUSYBOX picks another static busybox
# (default /bin/busybox, Debian's busybox-static, installed when missing).

DOCKER=/usr/bin/docker
STAND_IN_SCRIPT=$(readlink -f "${BASH_SOURCE[-1]}")
STAND_IN_LIB=$(readlink -f "${BASH_SOURCE[0]}")
LABEL_KEY=shallot.stand-in.hash
PATH_STD=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Extra `tar` flags for import_rootfs.
IMPORT_TAR_FLAGS=()

say() { printf '%s: %s\n' "${STAND_IN_SCRIPT##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (the rootfs needs real ownership: 0 and 65532)"
[[ -x $DOCKER ]] || die "$DOCKER missing: run scripts/dockerd-up first"
"$DOCKER" info >/dev/null 2>&1 || die "docker daemon does not answer: run scripts/dockerd-up first"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shallot-${STAND_IN_SCRIPT##*/}.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- host packages
export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=0
# apt_update: `apt-get update`, once per run.
apt_update() {
    ((APT_UPDATED == 1)) && return 0
    apt-get update >&2 || die "apt-get update failed"
    APT_UPDATED=1
}

# need_packages PKG...: installs on the host those of PKG that are not installed.
need_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    say "installing ${missing[*]} from Debian"
    apt_update
    apt-get install -y --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

# download_debs DIR PKG...: the .deb of each PKG in DIR, downloaded once (the version apt
# knows then) without installing anything. A package already there is used as is: asking
# apt costs seconds on every run.
download_debs() {
    local dir=$1 missing=() pkg
    shift
    mkdir -p "$dir"
    for pkg in "$@"; do
        compgen -G "$dir/${pkg}_*.deb" >/dev/null || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    say "downloading ${missing[*]} into $dir"
    if ! (cd "$dir" && apt-get download "${missing[@]}" >&2); then
        say "apt does not know them yet: apt-get update"
        APT_UPDATED=0
        apt_update
        (cd "$dir" && apt-get download "${missing[@]}" >&2) || die "apt-get download ${missing[*]} failed"
    fi
}

# deb_file DIR PKG: the newest .deb of PKG in DIR.
deb_file() {
    compgen -G "$1/${2}_*.deb" | LC_ALL=C sort -V | tail -n1
}

# ---------------------------------------------------------------- common inputs
BUSYBOX=${SHALLOT_BUSYBOX:-/bin/busybox}
if [[ ! -x $BUSYBOX ]]; then
    [[ $BUSYBOX == /bin/busybox ]] || die "SHALLOT_BUSYBOX=$BUSYBOX is not executable"
    need_packages busybox-static
fi
BUSYBOX=$(readlink -f "$BUSYBOX")
if readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'Requesting program interpreter'; then
    die "$BUSYBOX is dynamically linked; install busybox-static"
fi

CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
[[ -f $CA_BUNDLE ]] || CA_BUNDLE=

# ---------------------------------------------------------------- hash label
# stand_in_hash COMMAND...: the label value, from this library and the script (by content,
# wherever the checkout is) and what COMMAND prints about the other inputs.
stand_in_hash() {
    {
        sha256sum "$STAND_IN_LIB" "$STAND_IN_SCRIPT" | sed 's|  .*/|  |'
        "$@"
    } | sha256sum | cut -c1-32
}

current_hash() {
    "$DOCKER" image inspect -f "{{index .Config.Labels \"$LABEL_KEY\"}}" "$1" 2>/dev/null || true
}

# build_images IMAGE:FUNCTION...: runs FUNCTION for each IMAGE not labelled with $HASH.
build_images() {
    local pair image fn
    for pair in "$@"; do
        image=${pair%:*}
        fn=${pair##*:}
        if [[ ${SHALLOT_STAND_IN_REBUILD:-0} != 1 && $(current_hash "$image") == "$HASH" ]]; then
            say "up to date: $image"
        else
            say "building $image"
            "$fn"
        fi
    done
}

# alias_images IMAGE=NAME...: with SHALLOT_STAND_IN_ALIAS=1, tags each IMAGE as the real NAME,
# so that a build naming the real image resolves to the stand-in without a registry.
alias_images() {
    [[ ${SHALLOT_STAND_IN_ALIAS:-0} == 1 ]] || return 0
    local pair
    for pair in "$@"; do
        "$DOCKER" tag "${pair%%=*}" "${pair#*=}" || die "docker tag ${pair%%=*} ${pair#*=} failed"
        say "aliased ${pair%%=*} as ${pair#*=}"
    done
}

# list_images PREFIX: the stand-ins whose name starts with PREFIX.
list_images() {
    "$DOCKER" image ls --format 'table {{.Repository}}:{{.Tag}}\t{{.ID}}\t{{.Size}}' \
        | awk -v prefix="$1" 'NR == 1 || index($0, prefix) == 1'
}

# ---------------------------------------------------------------- rootfs pieces
# merged_usr ROOT: the Debian 12/13 layout, /bin, /sbin, /lib and /lib64 as links into /usr.
merged_usr() {
    local root=$1 dir
    install -d -m 0755 -o 0 -g 0 "$root" "$root/usr" "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" \
        "$root/usr/lib64"
    for dir in bin sbin lib lib64; do ln -s "usr/$dir" "$root/$dir"; done
}

# base_dirs ROOT: /etc, /var, /tmp 1777 and /root 700.
base_dirs() {
    local root=$1
    install -d -m 0755 -o 0 -g 0 "$root" "$root/etc" "$root/var"
    install -d -m 1777 -o 0 -g 0 "$root/tmp"
    install -d -m 0700 -o 0 -g 0 "$root/root"
}

# ca_bundle ROOT: the host's CA bundle, if it has one.
ca_bundle() {
    if [[ -n $CA_BUNDLE ]]; then
        install -D -m 0644 -o 0 -g 0 "$CA_BUNDLE" "$1/etc/ssl/certs/ca-certificates.crt"
    fi
}

# base_files ROOT: base_dirs, nsswitch.conf and the CA bundle.
base_files() {
    local root=$1
    base_dirs "$root"
    printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n' \
        >"$root/etc/nsswitch.conf"
    chmod 0644 "$root/etc/nsswitch.conf"
    ca_bundle "$root"
}

# distroless_users ROOT [VERSION_ID]: distroless's users (root, nobody, nonroot 65532), its
# os-release (Debian VERSION_ID, default 13) and /home/nonroot.
distroless_users() {
    local root=$1 version=${2:-13}
    cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
    cat >"$root/etc/group" <<'GROUP'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
GROUP
    printf 'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="%s"\nHOME_URL="https://github.com/GoogleContainerTools/distroless"\n' \
        "$version" >"$root/etc/os-release"
    chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/os-release"
    install -d -m 0755 -o 0 -g 0 "$root/home"
    install -d -m 0700 -o 65532 -g 65532 "$root/home/nonroot"
}

# builder_users ROOT WHAT: the users of a Debian-based official image (root, nobody) and an
# os-release that says which image it stands in for.
builder_users() {
    local root=$1
    cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
    cat >"$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
    printf 'PRETTY_NAME="shallot stand-in for %s"\nID=shallot-stand-in\n' "$2" >"$root/etc/os-release"
    chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/os-release"
}

# busybox_into ROOT DIR: busybox at DIR/busybox and each applet not already in DIR as a link
# to it (the debug variants' /busybox, a builder's /usr/bin).
busybox_into() {
    local root=$1 dir=$2 applet
    install -D -m 0755 -o 0 -g 0 "$BUSYBOX" "$root$dir/busybox"
    while read -r applet; do
        [[ $applet == busybox || -e $root$dir/$applet || -L $root$dir/$applet ]] && continue
        ln -s busybox "$root$dir/$applet"
    done < <("$BUSYBOX" --list)
    [[ -e $root$dir/sh || -L $root$dir/sh ]] || die "busybox has no sh applet"
}

# no_shell ROOT: fails if a shell slipped into a runtime rootfs.
no_shell() {
    [[ ! -e $1/bin/sh && ! -e $1/usr/bin/sh && ! -e $1/busybox ]] || die "runtime rootfs $1 has a shell"
}

# import_rootfs ROOT IMAGE CHANGE...: tar ROOT (numeric owners, sorted) into IMAGE, with the
# hash label, and drop the image it replaced if nothing else names that one now.
import_rootfs() {
    local root=$1 image=$2
    shift 2
    local -a changes=()
    local c previous
    for c in "$@" "LABEL $LABEL_KEY=$HASH" "LABEL org.opencontainers.image.description=\"shallot test stand-in\""; do
        changes+=(--change "$c")
    done
    previous=$("$DOCKER" image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
    tar -C "$root" --numeric-owner "${IMPORT_TAR_FLAGS[@]}" --sort=name -cf - . \
        | "$DOCKER" import "${changes[@]}" - "$image" >/dev/null \
        || die "docker import of $image failed"
    say "built $image"
    if [[ -n $previous && $("$DOCKER" image inspect -f '{{len .RepoTags}}' "$previous" 2>/dev/null) == 0 ]]; then
        "$DOCKER" image rm "$previous" >/dev/null 2>&1 || true
    fi
}

# ---------------------------------------------------------------- Debian rootfs
# The base of the stand-ins for Debian-based official images (python:*-slim, node:*-slim):
# a real `debootstrap --variant=minbase` rootfs, so that apt, dpkg and the essential tools
# work in it as in debian:*-slim. SHALLOT_DEBIAN_MIRROR picks another mirror for debootstrap;
# the rootfs's own apt sources always name deb.debian.org, as the official images do.
DEBIAN_MIRROR=${SHALLOT_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# debian_rootfs_key SUITE [PKG...]: one line naming what debian_rootfs SUITE PKG... is made
# of (debootstrap's version, suite, mirror, packages): its cache key and a hash input.
debian_rootfs_key() {
    local suite=$1
    shift
    need_packages debootstrap
    printf 'debootstrap %s variant=minbase slim=1 suite=%s mirror=%s include=%s\n' \
        "$(dpkg-query -W -f '${Version}' debootstrap)" "$suite" "$DEBIAN_MIRROR" \
        "$(printf '%s\n' "$@" | LC_ALL=C sort -u | paste -sd, -)"
}

# debian_sources ROOT SUITE: the apt sources of the official debian:SUITE image
# (deb.debian.org, SUITE, SUITE-updates and SUITE-security, deb822 format).
debian_sources() {
    local root=$1 suite=$2
    rm -f "$root/etc/apt/sources.list"
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    chmod 0644 "$root/etc/apt/sources.list.d/debian.sources"
}

# debian_slim ROOT: what debuerreotype's slimify does for debian:*-slim.
debian_slim() {
    local root=$1
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'SLIM'
# This is the "slim" variant of the Debian base image.
# Many files which are normally unnecessary in containers are excluded,
# and this configuration file keeps them that way.
path-exclude /usr/share/doc/*
# we need to keep copyright files for legal reasons
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
SLIM
    chmod 0644 "$root/etc/dpkg/dpkg.cfg.d/docker"
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/groff/* "$root"/usr/share/info/* "$root"/usr/share/linda/* "$root"/usr/share/lintian/* \
        "$root"/usr/share/man/*
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
}

# umount_under DIR: unmounts whatever is still mounted below DIR (debootstrap mounts /proc
# and /sys in its target; a failed run can leave them), deepest first, so that removing DIR
# never reaches the host's filesystems.
umount_under() {
    local dir mnt
    dir=$(readlink -f "$1")
    awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r mnt; do
        umount -l "$mnt" || die "cannot unmount $mnt"
    done
}

# debian_rootfs ROOT CACHE_DIR SUITE [PKG...]: a Debian SUITE minbase rootfs with PKG (and
# their dependencies) installed, in ROOT: apt sources as debian_sources, empty apt lists and
# caches, trimmed like debian:SUITE-slim (no docs but copyrights, man pages or locales, and
# the dpkg configuration that keeps them out), /dev with the basic device nodes (for chroot;
# debian_tidy empties it). The
# debootstrap result is kept in CACHE_DIR/debootstrap, in a tarball named by
# debian_rootfs_key, so a rerun only unpacks it.
debian_rootfs() {
    local root=$1 cache=$2 suite=$3 key tarball target
    shift 3
    key=$(debian_rootfs_key "$suite" "$@" | sha256sum | cut -c1-16)
    tarball=$cache/debootstrap/$suite-minbase-$key.tar
    if [[ ! -s $tarball ]]; then
        target=$WORK/debootstrap-$key
        local include=()
        (($# > 0)) && include=("--include=$(IFS=,; printf '%s' "$*")")
        say "debootstrap --variant=minbase $suite ${include[*]} (kept in $tarball)"
        if ! debootstrap --variant=minbase "${include[@]}" "$suite" "$target" "$DEBIAN_MIRROR" >&2; then
            umount_under "$target"
            die "debootstrap $suite failed (log: $target/debootstrap/debootstrap.log)"
        fi
        umount_under "$target"
        debian_sources "$target" "$suite"
        debian_slim "$target"
        rm -rf "$target"/var/lib/apt/lists/* "$target"/var/cache/apt/*.bin "$target"/var/cache/apt/archives/*.deb \
            "$target"/var/log/*.log "$target"/etc/resolv.conf "$target"/etc/hostname
        install -d -m 0755 "$target/var/lib/apt/lists/partial"
        mkdir -p "$cache/debootstrap"
        tar -C "$target" --numeric-owner --sort=name -cf "$tarball.tmp" . || die "cannot write $tarball"
        mv "$tarball.tmp" "$tarball"
        rm -rf "$target"
    fi
    install -d -m 0755 -o 0 -g 0 "$root"
    tar -C "$root" --numeric-owner -xpf "$tarball" || die "cannot unpack $tarball"
}

# debian_chroot ROOT COMMAND...: COMMAND in ROOT with the host's network (its resolv.conf is
# copied in for the run), a sane PATH and no debconf questions.
debian_chroot() {
    local root=$1
    shift
    install -m 0644 /etc/resolv.conf "$root/etc/resolv.conf"
    local rc=0
    chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@" || rc=$?
    rm -f "$root/etc/resolv.conf"
    return "$rc"
}

# debian_tidy ROOT: what a Debian image does not carry: apt lists and caches, logs, /tmp's
# content, device nodes (the runtime supplies /dev), resolv.conf and hostname (docker's).
debian_tidy() {
    local root=$1
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
        "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/var/log/apt/* "$root"/var/log/*.log \
        "$root"/tmp/* "$root"/tmp/.[!.]* "$root"/root/.cache "$root"/dev/* "$root"/etc/resolv.conf "$root"/etc/hostname
    install -d -m 0755 "$root/var/lib/apt/lists/partial"
}
