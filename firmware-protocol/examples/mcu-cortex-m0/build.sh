#!/usr/bin/env bash
# Compiles and links the Cortex-M0 example with Debian's gcc-arm-none-eabi (+ libnewlib-arm-none-eabi for memcpy and
# friends), with the same warnings as the library, and prints the size report. Not run on hardware.
#   examples/mcu-cortex-m0/build.sh OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:?usage: build.sh OUT_DIR}
mkdir -p "$out"
cc=arm-none-eabi-gcc
flags=(-mcpu=cortex-m0 -mthumb -Os -g -std=c99 -Wall -Wextra -Werror -pedantic -Wshadow -Wconversion
       -Wstrict-prototypes -Wmissing-prototypes -ffunction-sections -fdata-sections
       -I"$root/c/include" -I"$root/examples/qr")
sources=("$root/c/src/crc32c.c" "$root/c/src/frame.c" "$root/c/src/msg.c" "$root/c/src/mac.c" "$root/c/src/session.c"
         "$root/examples/qr/bkd_qr.c" "$here/main.c")
"$cc" "${flags[@]}" "${sources[@]}" -T "$here/linker.ld" -nostartfiles --specs=nano.specs --specs=nosys.specs \
  -Wl,--gc-sections -Wl,-Map="$out/display-m0.map" -o "$out/display-m0.elf"
arm-none-eabi-size "$out/display-m0.elf"
