# Sourced by bin/synapse and bin/nerve (not a command). They set:
#   home       the distribution directory      main       the main class
#   name       synapse | nerve                 quick      true for short commands (--check, --once, --help)
#   jvm_opts   JVM options (array)             train_args arguments of the run that records the CDS archive
#   user_opts  the user's extra JVM options (JAVA_OPTS / NERVE_JAVA_OPTS), added last so they win
#
# The classpath is every jar of lib/, sorted. Start-up uses an AppCDS archive (JDK 13+ dynamic
# archive): when none exists for these exact jars and this JVM, one training run of the bundled
# example records it (-XX:ArchiveClassesAtExit), and every run after maps it
# (-XX:SharedArchiveFile). The archive lives in $home/cds, or ${XDG_CACHE_HOME:-~/.cache}/synapse
# when the distribution is read-only. Anything going wrong with it only costs speed: the command
# runs without it. SYNAPSE_CDS=off skips it.
# Every fork costs milliseconds here, so this uses shell builtins where it can.

java_cmd=java
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java_cmd=$JAVA_HOME/bin/java
fi

jars=("$home"/lib/*.jar)
saved_ifs=$IFS
IFS=:
classpath="${jars[*]}"
IFS=$saved_ifs

run_opts=()
if [ "$quick" = true ]; then
  # A run of a second or two (--check, --once): C1 alone compiles cheaply enough to pay off, and one
  # compiler thread leaves the other cores to the run (--once of 1,000 x 100 on 2 cores: 1.55 ->
  # 1.45 s median, interleaved runs); transparent huge pages keep the kernel from faulting memory
  # in 4 KB at a time, and nobody needs the hsperfdata file. The parallel collector copies what a
  # large config keeps alive on every core (on 2 cores it measured as the serial one with a 32 MB
  # young generation, within noise, with lower minimums). The daemon keeps the JVM's defaults.
  run_opts+=(-XX:TieredStopAtLevel=1 -XX:+UseTransparentHugePages -XX:-UsePerfData)
  case " $user_opts " in
    *" -XX:CICompilerCount="*) ;;
    *) run_opts+=(-XX:CICompilerCount=1) ;;
  esac
  case " $user_opts " in
    *" -XX:+Use"*GC" "*) ;; # the user chose a collector
    *) run_opts+=(-XX:+UseParallelGC) ;;
  esac
fi

# Sets archive to the archive's path for these jars and this JVM (empty when CDS cannot be used).
cds_archive() {
  archive=""
  [ "${SYNAPSE_CDS:-on}" != off ] || return 0
  local java_bin key dir
  java_bin=$(type -P "$java_cmd") || return 0
  # what a dynamic archive depends on: this JVM (its binary, followed through links, changes with
  # every JDK update) and the exact jars (path, size, mtime) in order
  key=$(stat -L -c '%n %s %Y' "$java_bin" "${jars[@]}" 2>/dev/null | cksum) || return 0
  key=${key%% *}
  for dir in "$home/cds" "${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/synapse"; do
    if { [ -d "$dir" ] || mkdir -p "$dir" 2>/dev/null; } && [ -w "$dir" ]; then
      archive="$dir/$name-$key.jsa"
      return 0
    fi
  done
}

# Records the archive with one run of the bundled example (without third-party plugins). When
# that run fails, a marker keeps later runs from trying again for these jars; a run killed while
# training leaves none.
cds_train() {
  local tmp="$archive.$$.tmp" out old status
  out=$(mktemp -d 2>/dev/null) || return 0
  if (cd "$out" && SYNAPSE_OUT="$out" NERVE_OUT="$out" "$java_cmd" -XX:ArchiveClassesAtExit="$tmp" '-Xlog:cds*=off' \
        "${run_opts[@]}" "${jvm_opts[@]}" -Dsynapse.plugins.dir="$out/plugins" -cp "$classpath" "$main" "${train_args[@]}" \
        </dev/null >/dev/null 2>&1); then
    status=0
  else
    status=$?
  fi
  if [ $status -eq 0 ] && [ -s "$tmp" ]; then
    mv -f "$tmp" "$archive" 2>/dev/null || rm -f "$tmp"
    # older jars' archives, and what runs killed while training left behind
    for old in "${archive%-*}"-*.jsa "${archive%-*}"-*.failed "${archive%-*}"-*.tmp; do
      [ "$old" = "$archive" ] || rm -f "$old" 2>/dev/null || true
    done
  else
    rm -f "$tmp"
    if [ $status -lt 128 ]; then
      : >"${archive%.jsa}.failed" 2>/dev/null || true
    fi
  fi
  rm -rf "$out"
}

cds_opts=()
cds_archive || archive=""
if [ -n "$archive" ]; then
  if [ ! -s "$archive" ] && [ ! -e "${archive%.jsa}.failed" ]; then
    cds_train || true
  fi
  if [ -s "$archive" ]; then
    cds_opts=(-XX:SharedArchiveFile="$archive" '-Xlog:cds*=off')
  fi
fi

# shellcheck disable=SC2086 # user_opts is a list of options, split like JAVA_OPTS always was
exec "$java_cmd" "${cds_opts[@]}" "${run_opts[@]}" "${jvm_opts[@]}" ${user_opts} -cp "$classpath" "$main" "$@"
