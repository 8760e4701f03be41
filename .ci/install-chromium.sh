# Sourced by .ci/run: installs Debian's Chromium when missing (the browser test drives it through playwright-core; no
# browser is downloaded) and exports MDLSYNC_TEST_CHROMIUM. With the variable set the browser test runs or fails: in CI
# it is never skipped, so a Chromium that could not be installed fails the run instead of passing it untested.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ci: installing Chromium from Debian's packages"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ||
    echo "ci: Chromium could not be installed: the browser test will fail"
fi
export MDLSYNC_TEST_CHROMIUM=/usr/bin/chromium
[ -x /usr/bin/chromium ] && echo "ci: $(/usr/bin/chromium --version 2>/dev/null | head -1) for the browser test"
true
