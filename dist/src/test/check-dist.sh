#!/usr/bin/env bash
# The distribution's layout test, run by `mvn verify` (skipped with -DskipTests):
#   check-dist.sh target/synapse-VERSION target/synapse-VERSION.tar.gz pom.xml
# Unpacks the tar.gz and checks: the same files as the directory; bin/synapse and bin/nerve; one
# lib/ of jars only, each library once (no two versions of a jar, no class in two jars); an empty
# plugins/; the examples. Then runs bin/synapse --check and --once and bin/nerve --check-config from
# the unpacked copy (the rendered haproxy.cfg passes haproxy -c), checks that --check loads no
# registry client classes, that the class-data archive is made and used, and that a broken archive
# or none at all changes nothing but speed.
set -euo pipefail
dir=$1
tarball=$2
pom=$3
fail() {
  echo "check-dist: $*" >&2
  exit 1
}
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] ||
  fail "haproxy is needed to check the rendered config: apt-get install -y haproxy"
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=$(basename "$dir")
tar -xzf "$tarball" -C "$work"
home=$work/$name
[ -d "$home" ] || fail "$tarball has no $name/ at its top"
diff <(cd "$dir" && find . -path ./cds -prune -o -print | sort) <(cd "$home" && find . | sort) >&2 ||
  fail "$tarball and $dir differ"

# layout
for f in bin/synapse bin/nerve; do
  [ -f "$home/$f" ] && [ -x "$home/$f" ] || fail "$f is missing or not executable"
done
[ -f "$home/libexec/launcher.sh" ] || fail "libexec/launcher.sh is missing"
[ -d "$home/plugins" ] || fail "plugins/ is missing"
[ -z "$(ls -A "$home/plugins")" ] || fail "plugins/ is not empty: $(ls -A "$home/plugins")"
for f in base.json nerve.conf.json; do
  [ -f "$home/examples/$f" ] || fail "examples/$f is missing"
done
others=$(find "$home/lib" -mindepth 1 ! -name '*.jar')
[ -z "$others" ] || fail "lib/ holds more than jars: $others"
# the modules dist/pom.xml bundles (one dependency line each), and synapse-common
bundled=$(grep -o '<groupId>io.synapse</groupId><artifactId>[^<]*' "$pom" | sed 's/.*<artifactId>//')
[ -n "$bundled" ] || fail "found no io.synapse dependencies in $pom"
for module in synapse-common $bundled; do
  compgen -G "$home/lib/$module-[0-9]*.jar" >/dev/null || fail "lib/ has no $module jar"
done
# each library once: no two jars that differ only in their version ...
twice=$(cd "$home/lib" && ls *.jar | sed -E 's/-[0-9][^-]*(-jre|-android)?(-|\.jar$)/\2/' | sort | uniq -d)
[ -z "$twice" ] || fail "lib/ has two versions of: $twice"
# ... and no class in two jars (one flat classpath: nothing may shadow anything)
for jar in "$home"/lib/*.jar; do
  unzip -Z1 "$jar" | awk -v jar="$(basename "$jar")" '/\.class$/ && !/^META-INF\// && !/module-info\.class$/ { print $0, jar }'
done | sort >"$work/classes"
shadowed=$(awk '{ print $1 }' "$work/classes" | uniq -d | head -5)
[ -z "$shadowed" ] || fail "classes in two jars of lib/: $(for c in $shadowed; do grep "^$c " "$work/classes" | tr '\n' ' '; done)"

# it runs, from any directory
cd /
out=$("$home/bin/synapse" --config "$home/examples/base.json" --check)
[ "$out" = "configuration OK: 2 service(s), generators file_output, haproxy" ] || fail "bin/synapse --check printed: $out"
compgen -G "$home/cds/synapse-*.jsa" >/dev/null || compgen -G "$home/cds/synapse-*.failed" >/dev/null ||
  fail "the first run made neither a class-data archive nor a note that it could not"
if compgen -G "$home/cds/synapse-*.jsa" >/dev/null; then
  # -Xshare:on makes the JVM fail unless it maps the archive: the launcher really uses it
  JAVA_OPTS=-Xshare:on "$home/bin/synapse" --config "$home/examples/base.json" --check >/dev/null ||
    fail "bin/synapse does not start with its class-data archive"
fi
SYNAPSE_OUT=$work/out "$home/bin/synapse" --config "$home/examples/base.json" --once 2>"$work/once.log" ||
  fail "bin/synapse --once failed: $(cat "$work/once.log")"
[ -f "$work/out/services/api.json" ] || fail "bin/synapse --once wrote no $work/out/services/api.json"
"$haproxy" -c -q -f "$work/out/haproxy.cfg" || fail "haproxy -c rejects the haproxy.cfg bin/synapse --once wrote"
grep -q 'INFO  HaproxyGenerator - haproxy: wrote ' "$work/once.log" || fail "the log is not as before: $(cat "$work/once.log")"
out=$("$home/bin/nerve" --config "$home/examples/nerve.conf.json" --check-config)
case "$out" in *": OK, instance web-host-1, 2 services (api_zookeeper, api_etcd)") ;; *) fail "bin/nerve --check-config printed: $out" ;; esac

# a watcher's client library loads only when a service uses the watcher
for example in "$home"/examples/*.json; do
  case "$example" in *nerve.conf.json) continue ;; esac
  # clayio-ec2tag.json is the article's file: its region comes from the container's AWS_REGION
  AWS_REGION=us-east-1 JAVA_OPTS="-Xlog:class+load:file=$work/loaded" "$home/bin/synapse" --config "$example" --check >/dev/null ||
    fail "bin/synapse --check $example failed"
  heavy=$(grep -oE ' (org\.apache\.curator|io\.etcd|io\.grpc|io\.netty|io\.vertx|software\.amazon|org\.xbill|com\.github\.dockerjava|org\.bouncycastle)\.[A-Za-z0-9_.$]+' "$work/loaded" | head -3 || true)
  [ -z "$heavy" ] || fail "--check of $(basename "$example") loads registry client classes:$heavy"
done

# a broken archive, or none, costs speed only
for jsa in "$home"/cds/synapse-*.jsa; do
  [ -f "$jsa" ] && chmod u+w "$jsa" && echo "not an archive" >"$jsa"
done
out=$("$home/bin/synapse" --config "$home/examples/base.json" --check 2>&1)
[ "$out" = "configuration OK: 2 service(s), generators file_output, haproxy" ] || fail "with a broken archive bin/synapse printed: $out"
out=$(SYNAPSE_CDS=off "$home/bin/synapse" --config "$home/examples/base.json" --check 2>&1)
[ "$out" = "configuration OK: 2 service(s), generators file_output, haproxy" ] || fail "with SYNAPSE_CDS=off bin/synapse printed: $out"

# two plugins with one name: an error naming both jars, exit status 2
cp "$home"/lib/watcher-etcd-*.jar "$home/plugins/"
set +e
out=$("$home/bin/synapse" --config "$home/examples/base.json" --check 2>&1)
status=$?
set -e
[ $status -eq 2 ] || fail "a duplicate plugin exited $status, not 2: $out"
case "$(tail -1 <<<"$out")" in
  "synapse: two watcher plugins named \"etcd\": io.synapse.etcd.EtcdWatcherFactory ($home/lib/watcher-etcd-"*".jar) and io.synapse.etcd.EtcdWatcherFactory ($home/plugins/watcher-etcd-"*".jar); remove one of the jars"*) ;;
  *) fail "a duplicate plugin printed: $out" ;;
esac
echo "check-dist: $name and its tar.gz are complete and run"
