//! Native code that follows the app onto distroless: Debian packages the build needs, an
//! interpreter carried from the builder (a version no distroless image has), and the shared
//! libraries every ELF file of the runtime stage needs that the runtime base lacks.
//!
//! Recipes put what they carry under [`STAGED_ROOT`] in the builder, laid out as it must
//! appear in the runtime image (`/.shallot/root/usr/local/bin/python3.11` lands at
//! `/usr/local/bin/python3.11`). The builder's last step, [`libraries`], adds the shared
//! libraries there; the runtime stage copies the whole tree onto its base
//! ([`Runtime::staged`](super::Runtime::staged)).

use super::{Cache, Run};
use crate::spec::{Located, Span};

/// Where the builder stages files for the runtime image's root.
pub const STAGED_ROOT: &str = "/.shallot/root";
/// Where the runtime stage's base image is mounted (read-only) for [`libraries`], so it can
/// tell which libraries the base already has.
pub const BASE_MOUNT: &str = "/.shallot/base";

/// `apt-get install` of the spec's `packages`, on apt's caches. The lists and the downloaded
/// `.deb` files live on cache mounts (locked: apt takes its own lock and would fail, not wait),
/// so a change elsewhere never downloads them again; the official images delete downloads
/// after every install (`docker-clean`), which the cache must switch off.
pub fn apt_install(packages: &[Located<String>]) -> Option<Run> {
    let first = packages.first()?;
    let names: Vec<&str> = packages.iter().map(|p| p.value.as_str()).collect();
    let span = packages.iter().fold(first.span, |all, p| Span {
        end_line: p.span.end_line.max(p.span.line),
        end_col: p.span.end_col,
        ..all
    });
    let command = format!(
        "rm -f /etc/apt/apt.conf.d/docker-clean; \
         echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' \
         >/etc/apt/apt.conf.d/keep-cache; \
         apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
         apt-get install -y -qq --no-install-recommends {}",
        names.join(" ")
    );
    let caches = vec![
        Cache {
            target: "/var/cache/apt".to_string(),
            id: "shallot-apt-cache".to_string(),
            locked: true,
        },
        Cache {
            target: "/var/lib/apt".to_string(),
            id: "shallot-apt-lists".to_string(),
            locked: true,
        },
    ];
    let label = format!("apt-get install {}", names.join(" "));
    Some(Run::at(command, caches, span).labelled(label))
}

/// The builder's last step: for every ELF file under `scan` (what the runtime stage takes
/// from the builder, and [`STAGED_ROOT`]), the shared libraries the dynamic loader resolves,
/// and a copy under [`STAGED_ROOT`] of each one that neither ships with the app nor is in the
/// runtime base (mounted at [`BASE_MOUNT`]). A library the builder cannot resolve fails the
/// build, naming the file that needs it.
pub fn libraries(scan: &[String], span: Span) -> Run {
    let paths: Vec<String> = scan
        .iter()
        .map(|p| super::shell::quote(p).into_owned())
        .collect();
    let command = format!(
        "set -- {}\nroot={STAGED_ROOT} base={BASE_MOUNT}\n{LIBRARIES_SCRIPT}",
        paths.join(" ")
    );
    let mut run = Run::at(command, Vec::new(), span)
        .labelled("copy the shared libraries the app needs and the runtime base lacks");
    run.base_mount = Some(BASE_MOUNT.to_string());
    run
}

/// The library walk, in POSIX sh for dash and busybox alike (the positional parameters are
/// the paths to scan). The loader answers `--verify` with 0 for a dynamic executable and 2
/// for a shared library; it lists a file's libraries with `LD_TRACE_LOADED_OBJECTS` (what
/// `ldd` does, without needing bash), where `name => not found` marks a missing one. A file
/// linked against musl is a prebuilt binary for another platform (npm packages ship several)
/// and is never loaded here. A library goes to its own directory when that is one the loader
/// searches without a cache (distroless has no `ld.so.cache`), else to the loader's own
/// directory, where it is found.
const LIBRARIES_SCRIPT: &str = r#"set -eu
mkdir -p "$root"
loader=
for f in /lib64/ld-linux-*.so.* /lib/ld-linux-*.so.* /lib/*/ld-linux-*.so.*; do
    if [ -x "$f" ]; then loader=$f; break; fi
done
if [ -z "$loader" ]; then
    echo "no glibc loader in the builder: shared libraries are not followed"
    exit 0
fi
libdir=$(dirname "$(readlink -f "$loader")")
work=$(mktemp -d)
find "$@" -type f \( -name '*.so' -o -name '*.so.*' -o -name '*.node' -o -perm -100 \) \
    >"$work/files" 2>/dev/null || true
while IFS= read -r f; do
    rc=0
    "$loader" --verify "$f" >/dev/null 2>&1 || rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 2 ] || continue
    LD_TRACE_LOADED_OBJECTS=1 "$loader" "$f" 2>/dev/null >"$work/out" || true
    grep -q 'libc\.musl\|ld-musl' "$work/out" && continue
    awk -v f="$f" '$2 == "=>" { if ($3 == "not") print "missing " $1 " " f; else print "lib " $1 " " $3 }' \
        "$work/out" >>"$work/found"
done <"$work/files"
[ -f "$work/found" ] || { echo "no shared libraries to follow"; exit 0; }
inside() {
    for r in "$@"; do
        case "$lib" in "${r%/}"/*) return 0 ;; esac
    done
    return 1
}
in_base() {
    for d in "$1" /usr/lib "$libdir" /usr/lib64; do
        [ -e "$base$d/$name" ] && return 0
        [ -e "$base${d#/usr}/$name" ] && return 0
    done
    return 1
}
sort -u "$work/found" >"$work/sorted"
copied=0
while read -r kind name lib; do
    if [ "$kind" = missing ]; then
        in_base "$libdir" && continue
        # Shipped beside the app and loaded by path first (the JVM's libjvm.so).
        shipped=$(find "$@" -name "$name" \( -type f -o -type l \) 2>/dev/null | head -n 1)
        [ -n "$shipped" ] && continue
        echo "$lib needs $name, which the builder does not have" >>"$work/missing"
        continue
    fi
    inside "$@" && continue
    dir=$(readlink -f "$(dirname "$lib")")
    in_base "$dir" && continue
    case "$dir" in
        /usr/lib | /usr/lib64 | "$libdir" | /lib | /lib64) ;;
        *) dir=$libdir ;;
    esac
    [ -e "$root$dir/$name" ] && continue
    mkdir -p "$root$dir"
    cp -L "$lib" "$root$dir/$name"
    echo "$dir/$name (from $lib)"
    copied=$((copied + 1))
done <"$work/sorted"
if [ -f "$work/missing" ]; then
    sort -u "$work/missing" >&2
    echo "install the Debian package that has each library with \`packages:\` in the spec" >&2
    exit 1
fi
echo "$copied shared libraries copied for the runtime image"
rm -rf "$work"
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Step;
    use crate::testkit::{facts, plan};

    #[test]
    fn packages_install_first_on_locked_apt_caches() {
        let spec = "runtime: python\nentrypoint: app.py\npackages: [libpq-dev, gcc]\n";
        let planned = plan(spec, &facts(&[("requirements.txt", "psycopg2\n")], None));
        let builder = planned.builder.expect("a builder");
        let Step::Run(apt) = &builder.steps[0] else {
            panic!("apt is not first: {:?}", builder.steps);
        };
        assert!(
            apt.command
                .ends_with("apt-get install -y -qq --no-install-recommends libpq-dev gcc"),
            "{}",
            apt.command
        );
        assert!(
            apt.command
                .starts_with("rm -f /etc/apt/apt.conf.d/docker-clean;")
        );
        let caches: Vec<(&str, &str, bool)> = apt
            .caches
            .iter()
            .map(|c| (c.target.as_str(), c.id.as_str(), c.locked))
            .collect();
        assert_eq!(
            caches,
            [
                ("/var/cache/apt", "shallot-apt-cache", true),
                ("/var/lib/apt", "shallot-apt-lists", true)
            ]
        );
        assert_eq!(apt.label.as_deref(), Some("apt-get install libpq-dev gcc"));
        // The span covers the list: the error of a failed install points at it.
        let span = apt.span.expect("a span");
        assert_eq!((span.line, span.col), (3, 12));
    }

    #[test]
    fn the_library_run_scans_what_the_runtime_takes_and_the_staged_root() {
        let planned = plan(
            "runtime: go\nentrypoint: ./cmd/server\n",
            &facts(&[("go.mod", "module example.com/app\n\ngo 1.24\n")], None),
        );
        let builder = planned.builder.expect("a builder");
        let first = builder.libraries.command.lines().next().unwrap_or_default();
        // The go binary is built to /out, outside the workdir, and taken from there.
        assert_eq!(first, "set -- /out/server /.shallot/root");
        assert_eq!(builder.libraries.base_mount.as_deref(), Some(BASE_MOUNT));
        assert_eq!(planned.runtime_stage.staged.as_deref(), Some(STAGED_ROOT));
        assert!(apt_install(&[]).is_none());
    }
}
