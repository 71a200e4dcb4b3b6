#!/usr/bin/env bash
# The whole C check, as .ci/run runs it: build and test with gcc, build and test with clang under
# AddressSanitizer+UndefinedBehaviorSanitizer (the CTests include the QR encoder decoded by zbarimg and the POSIX
# reference device on a pseudo-terminal), compile and link the Cortex-M0 example with arm-none-eabi-gcc and print its
# size, then fuzz the decoder/unpack/session for FUZZ_SECONDS (default 60).
#   firmware-protocol/ci.sh [BUILD_DIR]      (BUILD_DIR defaults to .ci/out/firmware-protocol)
# Installs cmake, gcc, clang, the libFuzzer runtime, zbar-tools, gcc-arm-none-eabi and libnewlib-arm-none-eabi with
# apt-get when they are missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../.ci/out/firmware-protocol}
fuzz_seconds=${FUZZ_SECONDS:-60}
mkdir -p "$out"
out=$(cd "$out" && pwd)

have_fuzzer_runtime() {
  command -v clang >/dev/null || return 1
  echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' > "$out/probe.c"
  clang -fsanitize=fuzzer "$out/probe.c" -o "$out/probe" 2>/dev/null
}
have_arm_newlib() {
  command -v arm-none-eabi-gcc >/dev/null || return 1
  echo '#include <string.h>
int main(void) { return (int)strlen(""); }' > "$out/probe-arm.c"
  arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb --specs=nano.specs --specs=nosys.specs "$out/probe-arm.c" \
    -o "$out/probe-arm.elf" 2>/dev/null
}
apt_updated=
apt_update_once() { [ -n "$apt_updated" ] || { apt-get update -qq && apt_updated=1; }; }
if ! command -v cmake >/dev/null || ! command -v gcc >/dev/null || ! have_fuzzer_runtime; then
  apt_update_once
  apt-get install -y -qq cmake gcc clang >/dev/null
  if ! have_fuzzer_runtime; then
    apt-get install -y -qq "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev" >/dev/null
  fi
fi
if ! command -v zbarimg >/dev/null || ! have_arm_newlib; then
  apt_update_once
  apt-get install -y -qq --no-install-recommends zbar-tools gcc-arm-none-eabi libnewlib-arm-none-eabi >/dev/null
fi

fresh_if_foreign() { # DIR: a build dir configured from another checkout makes cmake refuse it ("does not match the source")
  if [ -f "$1/CMakeCache.txt" ] && ! grep -qxF "CMAKE_HOME_DIRECTORY:INTERNAL=$here" "$1/CMakeCache.txt"; then
    rm -rf "$1"
  fi
}

build_and_test() { # NAME CC [cmake options...]
  local name=$1 cc=$2
  shift 2
  echo "--- $name: configure, build, ctest"
  fresh_if_foreign "$out/$name"
  CC=$cc cmake -S "$here" -B "$out/$name" "$@" >/dev/null
  cmake --build "$out/$name" -j 2 >/dev/null
  ctest --test-dir "$out/$name" --output-on-failure
}
build_and_test gcc-O2 gcc -DCMAKE_BUILD_TYPE=Release
build_and_test clang-asan-ubsan clang -DBKD_SANITIZE=ON

echo "--- Cortex-M0 example (examples/mcu-cortex-m0): compile and link, size"
"$here/examples/mcu-cortex-m0/build.sh" "$out/mcu-cortex-m0"

echo "--- fuzz: ${fuzz_seconds} s, libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer"
fresh_if_foreign "$out/fuzz"
CC=clang cmake -S "$here" -B "$out/fuzz" -DBKD_FUZZ=ON >/dev/null
cmake --build "$out/fuzz" -j 2 --target fuzz_decoder make_corpus >/dev/null
rm -rf "$out/fuzz/seeds" "$out/fuzz/corpus"
mkdir -p "$out/fuzz/seeds" "$out/fuzz/corpus"
"$out/fuzz/make_corpus" "$here/vectors" "$out/fuzz/seeds"
# Any crash, sanitizer report, leak or timeout makes libFuzzer exit non-zero (and write crash-* into $out/fuzz).
(cd "$out/fuzz" && ./fuzz_decoder -max_total_time="$fuzz_seconds" -timeout=10 -print_final_stats=1 corpus seeds 2>fuzz.log) || {
  tail -50 "$out/fuzz/fuzz.log"
  exit 1
}
grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$out/fuzz/fuzz.log"
echo "--- firmware-protocol: all C checks passed"
