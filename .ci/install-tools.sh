# Sourced by .ci/run: the command-line tools the tests drive, installed from Debian's packages when missing (as root).
# tmux: test/init.e2e.test.ts types mdlsync init's answers in a real terminal. openssl: test/network.ts makes a
# throwaway certificate authority for the --ca tests. A tool that cannot be installed is
# reported here, and the tests that need it print a SKIPPED line.
ci_tools_missing=()
command -v tmux >/dev/null || ci_tools_missing+=(tmux)
command -v openssl >/dev/null || ci_tools_missing+=(openssl)

if [ "${#ci_tools_missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ci: installing ${ci_tools_missing[*]} from Debian's packages"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${ci_tools_missing[@]}" >/dev/null) ||
      echo "ci: ${ci_tools_missing[*]} could not be installed: the tests that need them will say SKIPPED"
  else
    echo "ci: ${ci_tools_missing[*]} missing and not root: the tests that need them will say SKIPPED"
  fi
fi
unset ci_tools_missing
