#!/usr/bin/env bash
# Regenerates the PTX the CUDA engine loads (src/main/resources/cuda/*.ptx) from src/main/cuda/*.cu and
# records the SHA-256 of every source it was made from in src/main/resources/cuda/sources.sha256, which
# CudaSourcesTest compares with the sources: run this after changing any .cu or .cuh file and commit the
# result, so that building gguf-serve never needs nvcc.
#
# compute_80 PTX is JIT-compiled by the driver for the card it runs on (A100 sm_80, H100/H200 sm_90, ...).
set -euo pipefail
cd "$(dirname "$0")"
out=../resources/cuda
mkdir -p "$out"
NVCC=${NVCC:-nvcc}
"$NVCC" --version | tail -1
for source in *.cu; do
    "$NVCC" -ptx -arch=compute_80 -O3 -o "$out/${source%.cu}.ptx" "$source"
    echo "$out/${source%.cu}.ptx"
done
sha256sum -- *.cu *.cuh > "$out/sources.sha256"
