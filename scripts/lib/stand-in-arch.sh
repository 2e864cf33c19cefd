# shellcheck shell=bash
# Stand-ins for another architecture than the host's, for multi-platform builds: sourced by a
# stand-in-images* script after scripts/lib/stand-in.sh when it can build them (today
# scripts/stand-in-images, node, scripts/stand-in-images-static and -python). Scripts that do not
# source it build for the host only.
#
# SHALLOT_STAND_IN_ARCH (default: the host's, amd64) is the architecture to build for; arm64
# is the other one known. For the host's, nothing changes: the images are imported into
# dockerd. dockerd (20.10) imports for its own platform only, so another architecture's
# images are built from the same kind of rootfs by the current BuildKit (buildx builder
# `current`: FROM scratch, ADD of the rootfs tarball, which keeps its owners, and the same
# changes) and pushed straight to the registry ($SHALLOT_E2E_REGISTRY, default
# 127.0.0.1:5000) as NAME:TAG-ARCH; scripts/stand-ins-to-registry joins each with the host's
# NAME:TAG into one multi-platform index NAME:TAG. Their hash label is read from the
# registry. Their Debian packages (busybox-static, libc6, ...) are the architecture's of the
# host's Debian release, downloaded through a private apt configuration (the host's dpkg gets
# no foreign architecture) into $SHALLOT_STAND_IN_CACHE/debs-ARCH (default
# /var/cache/shallot-stand-in/debs-ARCH).
#
# Besides those, a script uses: FOREIGN (1 for another architecture), STAND_IN_ARCH,
# ARCH_LOADER (the dynamic loader's path), HOST_BUSYBOX (runs here: applet lists) and
# BUSYBOX (the architecture's, for the images), foreign_root, foreign_deb_names, copy_tree,
# runs_here (before a smoke test) and stand_in_arch_hash in its hash inputs.

STAND_IN_ARCH_LIB=$(readlink -f "${BASH_SOURCE[0]}")
HOST_ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
STAND_IN_ARCH=${SHALLOT_STAND_IN_ARCH:-$HOST_ARCH}
# The architecture's dynamic loader, where Debian (and distroless) put it.
case $STAND_IN_ARCH in
    amd64) ARCH_LOADER=/lib64/ld-linux-x86-64.so.2 ;;
    arm64) ARCH_LOADER=/lib/ld-linux-aarch64.so.1 ;;
    *) die "SHALLOT_STAND_IN_ARCH=$STAND_IN_ARCH: stand-ins are built for amd64 and arm64" ;;
esac
FOREIGN=0
[[ $STAND_IN_ARCH == "$HOST_ARCH" ]] || FOREIGN=1
REGISTRY=${SHALLOT_E2E_REGISTRY:-127.0.0.1:5000}
FOREIGN_DEBS=${SHALLOT_STAND_IN_CACHE:-/var/cache/shallot-stand-in}/debs-$STAND_IN_ARCH
HOST_BUSYBOX=$BUSYBOX

# runs_here: whether STAND_IN_ARCH programs run on this host (its own, or another under a
# qemu binfmt handler), for the scripts' smoke tests.
runs_here() {
    ((FOREIGN == 0)) || [[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 && $STAND_IN_ARCH == arm64 ]]
}

# stand_in_arch_hash: a hash input: this library and the architecture.
stand_in_arch_hash() {
    sha256sum "$STAND_IN_ARCH_LIB" | sed 's|  .*/|  |'
    printf 'arch %s\n' "$STAND_IN_ARCH"
}

# ---------------------------------------------------------------- foreign packages
# foreign_apt ARGS...: apt-get for STAND_IN_ARCH packages of the host's Debian release, with
# its own sources, lists and (empty) dpkg status under $FOREIGN_DEBS/apt.
foreign_apt() {
    local apt=$FOREIGN_DEBS/apt
    apt-get -o APT::Architecture="$STAND_IN_ARCH" -o APT::Architectures::="$STAND_IN_ARCH" \
        -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
        -o Dir::State::Lists="$apt/lists" -o Dir::State::status="$apt/status" -o Dir::Cache="$apt/cache" \
        -o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

# foreign_debs PKG...: the STAND_IN_ARCH .deb of each PKG in $FOREIGN_DEBS, downloaded once
# (the version apt knows then), as download_debs does for the host's.
foreign_debs() {
    local missing=() pkg apt=$FOREIGN_DEBS/apt suite
    for pkg in "$@"; do
        compgen -G "$FOREIGN_DEBS/${pkg}_*.deb" >/dev/null || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    suite=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
    [[ -n $suite ]] || die "/etc/os-release names no Debian release (VERSION_CODENAME)"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
    : >"$apt/status"
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
        "$DEBIAN_MIRROR" "$suite" "$DEBIAN_MIRROR" "$suite" "$suite" >"$apt/sources.list"
    say "downloading ${missing[*]} ($STAND_IN_ARCH, $suite) into $FOREIGN_DEBS"
    foreign_apt update -qq >&2 || die "apt-get update of the $STAND_IN_ARCH lists failed"
    (cd "$FOREIGN_DEBS" && foreign_apt download -qq "${missing[@]}" >&2) \
        || die "apt-get download of ${missing[*]} ($STAND_IN_ARCH) failed"
}

# foreign_root PKG...: a directory (under $WORK, made once per run) holding the files of the
# STAND_IN_ARCH packages PKG, as dpkg-deb -x lays them out.
foreign_root() {
    local dir pkg
    dir=$WORK/foreign-root-$(printf '%s\n' "$@" | sha256sum | cut -c1-12)
    if [[ ! -d $dir ]]; then
        foreign_debs "$@"
        for pkg in "$@"; do
            dpkg-deb -x "$(deb_file "$FOREIGN_DEBS" "$pkg")" "$dir" || die "dpkg-deb -x of $pkg ($STAND_IN_ARCH) failed"
        done
    fi
    printf '%s\n' "$dir"
}

# foreign_deb_names PKG...: the file names of their .debs, a hash input (the names carry the
# version and the architecture).
foreign_deb_names() {
    local pkg
    for pkg in "$@"; do basename "$(deb_file "$FOREIGN_DEBS" "$pkg")"; done
}

# copy_tree FROM ROOT: every file and link under FROM but /usr/share (docs, lintian) into
# ROOT at the same paths, owned by root, through ROOT's own links (merged /usr's /lib).
copy_tree() {
    tar -C "$1" --exclude=./usr/share --owner=0 --group=0 --numeric-owner -cf - . \
        | tar -C "$2" --keep-directory-symlink -xpf - || die "cannot copy $1 into $2"
}

# ---------------------------------------------------------------- another architecture
if ((FOREIGN)); then
    curl -fsS -m 3 -o /dev/null "http://$REGISTRY/v2/" \
        || die "$STAND_IN_ARCH stand-ins are pushed to the registry, and none answers on $REGISTRY: run scripts/buildkit-up"
    "$DOCKER" buildx inspect current >/dev/null 2>&1 \
        || die "$STAND_IN_ARCH stand-ins are built by the buildx builder \`current\`, which is missing: run scripts/buildkit-up"
    need_packages jq
    BUSYBOX=$(foreign_root busybox-static)/bin/busybox
    [[ -f $BUSYBOX ]] || die "the $STAND_IN_ARCH busybox-static package has no /bin/busybox"

    # foreign_ref IMAGE: where the STAND_IN_ARCH build of IMAGE (NAME:TAG) is pushed.
    foreign_ref() {
        printf '%s/%s:%s-%s\n' "$REGISTRY" "${1%:*}" "${1##*:}" "$STAND_IN_ARCH"
    }

    # current_hash IMAGE: the hash label of IMAGE's STAND_IN_ARCH build in the registry, or
    # nothing.
    current_hash() {
        local name=${1%:*} tag=${1##*:}-$STAND_IN_ARCH config
        config=$(curl -fsS -m 10 -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
            -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
            "http://$REGISTRY/v2/$name/manifests/$tag" 2>/dev/null | jq -r '.config.digest // empty' 2>/dev/null) || true
        [[ -n $config ]] || return 0
        curl -fsS -m 10 "http://$REGISTRY/v2/$name/blobs/$config" 2>/dev/null \
            | jq -r --arg key "$LABEL_KEY" '.config.Labels[$key] // empty' 2>/dev/null || true
    }

    # busybox_into ROOT DIR: as the library's, with the applets listed by the host's busybox
    # (the image's does not run here without qemu).
    busybox_into() {
        local root=$1 dir=$2 applet
        install -D -m 0755 -o 0 -g 0 "$BUSYBOX" "$root$dir/busybox"
        while read -r applet; do
            [[ $applet == busybox || -e $root$dir/$applet || -L $root$dir/$applet ]] && continue
            ln -s busybox "$root$dir/$applet"
        done < <("$HOST_BUSYBOX" --list)
        [[ -e $root$dir/sh || -L $root$dir/sh ]] || die "busybox has no sh applet"
    }

    # import_rootfs ROOT IMAGE CHANGE...: as the library's, for STAND_IN_ARCH: the current
    # BuildKit builds `FROM scratch`, `ADD` of ROOT's tarball and the CHANGEs (Dockerfile
    # instructions) for linux/STAND_IN_ARCH, and pushes it as foreign_ref IMAGE, a plain
    # manifest (no attestations, so that it can go into an index).
    import_rootfs() {
        local root=$1 image=$2 ctx ref
        shift 2
        ctx=$WORK/push-$(printf '%s' "$image" | tr '/:' '--')
        ref=$(foreign_ref "$image")
        mkdir -p "$ctx"
        tar -C "$root" --numeric-owner "${IMPORT_TAR_FLAGS[@]}" --sort=name -cf "$ctx/rootfs.tar" . \
            || die "cannot tar $root"
        {
            printf 'FROM scratch\nADD rootfs.tar /\n'
            printf '%s\n' "$@" "LABEL $LABEL_KEY=$HASH" "LABEL org.opencontainers.image.description=\"shallot test stand-in\""
        } >"$ctx/Dockerfile"
        "$DOCKER" buildx --builder current build --progress=quiet --platform "linux/$STAND_IN_ARCH" \
            --provenance=false --sbom=false --output "type=image,name=$ref,push=true" "$ctx" >/dev/null \
            || die "buildx build of $ref failed"
        rm -rf "$ctx"
        say "built and pushed $ref"
    }

    # Aliases and listings are of dockerd's images, which are the host's.
    alias_images() { :; }
    list_images() { :; }
fi
