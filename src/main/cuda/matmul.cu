// Matrix products Y = X W^T (or Y += X W^T) for prefill: X holds `tokens` activation rows, W the weight
// rows in their GGUF blocks. Each 256-thread block computes a tile of 64 tokens x 128 weight rows on the
// tensor cores in TF32 (10-bit mantissa, float range, float accumulation). Per 32-wide slice of the columns
// it decodes the tile's 128 weight rows into shared memory, 8 consecutive weights per thread with the block
// scales read once (weights8_at), so each weight is decoded once per 64 tokens and each activation read
// once per 128 weight rows; the 8 warps then multiply the slice, each a 32 x 32 part of the tile. Values are
// rounded to TF32 once, when they are stored into shared memory.
// Launch with grid (ceil(rows / 128), ceil(tokens / 64)) and 256 threads; x must be 16-byte aligned.
#include <mma.h>
#include "ggml_blocks.cuh"

using namespace nvcuda;

#define TILE_ROWS 128
#define TILE_TOKENS 64
#define SLICE 32
#define THREADS 256
// Row stride of the shared tiles: a multiple of 4 floats (wmma's rule for float) that is not a multiple of
// 32, so the rows of a tile do not all fall into the same shared-memory bank.
#define STRIDE (SLICE + 4)
#define WARP_TILE 32
// Each warp writes its results out one 16 x 16 fragment at a time through a small staging area.
#define STAGE_STRIDE (16 + 4)

// Four floats rounded to TF32 (kept in float format, low 13 mantissa bits zero), as the tensor cores take them.
__device__ __forceinline__ float4 tf32x4(float a, float b, float c, float d) {
    return make_float4(wmma::__float_to_tf32(a), wmma::__float_to_tf32(b), wmma::__float_to_tf32(c),
                       wmma::__float_to_tf32(d));
}

template <int TYPE>
__device__ void matmul_tile(const uint8_t* w, const float* x, float* y, int rows, int cols, int tokens,
                            int ldy, int accumulate) {
    // wmma loads and stores need 256-bit aligned addresses: the fragments start at rows 16 i of the tiles
    // (16 x STRIDE floats apart) and at column offsets of 8 floats.
    __shared__ __align__(32) float xs[TILE_TOKENS][STRIDE];
    __shared__ __align__(32) float ws[TILE_ROWS][STRIDE];
    __shared__ __align__(32) float stage[THREADS / 32][16][STAGE_STRIDE];

    int rowBase = blockIdx.x * TILE_ROWS;
    int tokenBase = blockIdx.y * TILE_TOKENS;
    int warp = threadIdx.x / 32;
    int lane = threadIdx.x & 31;
    // The 8 warps split the tile 2 x 4: warp computes tokens warpTokens.. x rows warpRows.. (32 x 32).
    int warpTokens = (warp / 4) * WARP_TILE;
    int warpRows = (warp % 4) * WARP_TILE;
    size_t rowBytes = row_bytes<TYPE>(cols);
    // Float x rows can be read 4 at a time when every row starts 16-byte aligned.
    bool vectorX = (cols & 3) == 0;

    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
#pragma unroll
    for (int i = 0; i < 2; i++) {
#pragma unroll
        for (int j = 0; j < 2; j++) {
            wmma::fill_fragment(acc[i][j], 0.0f);
        }
    }

    for (int k0 = 0; k0 < cols; k0 += SLICE) {
        // Weights: run = 8 consecutive columns of one row; the 4 runs of a row go to neighbouring threads,
        // which then read neighbouring bytes of the same block. Unrolled, so that a thread's loads of all its
        // runs are in flight together.
#pragma unroll
        for (int i = 0; i < TILE_ROWS * SLICE / 8 / THREADS; i++) {
            int run = threadIdx.x + i * THREADS;
            int r = run / (SLICE / 8);
            int c = 8 * (run % (SLICE / 8));
            int row = rowBase + r;
            float v[8];
            if (row < rows) {
                weights8_at<TYPE>(w + row * rowBytes, k0 + c, cols, v);
            } else {
#pragma unroll
                for (int j = 0; j < 8; j++) {
                    v[j] = 0.0f;
                }
            }
            // Two 16-byte stores: rows are STRIDE floats (144 bytes) apart and c is a multiple of 8.
            float4* to = reinterpret_cast<float4*>(&ws[r][c]);
            to[0] = tf32x4(v[0], v[1], v[2], v[3]);
            to[1] = tf32x4(v[4], v[5], v[6], v[7]);
        }
        // Activations: 4 consecutive columns of one token per thread.
#pragma unroll
        for (int i = 0; i < TILE_TOKENS * SLICE / 4 / THREADS; i++) {
            int e = threadIdx.x + i * THREADS;
            int t = e / (SLICE / 4);
            int c = 4 * (e % (SLICE / 4));
            int token = tokenBase + t;
            int k = k0 + c;
            float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            if (token < tokens) {
                const float* src = x + (size_t) token * cols + k;
                if (vectorX && k + 4 <= cols) {
                    float4 four = *reinterpret_cast<const float4*>(src);
                    v[0] = four.x;
                    v[1] = four.y;
                    v[2] = four.z;
                    v[3] = four.w;
                } else {
#pragma unroll
                    for (int j = 0; j < 4; j++) {
                        v[j] = k + j < cols ? src[j] : 0.0f;
                    }
                }
            }
            *reinterpret_cast<float4*>(&xs[t][c]) = tf32x4(v[0], v[1], v[2], v[3]);
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < SLICE; kk += 8) {
            wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a[2];
            // B(k, n) = W[n][k]: the weight tile read column-major is W^T.
            wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> b[2];
#pragma unroll
            for (int i = 0; i < 2; i++) {
                wmma::load_matrix_sync(a[i], &xs[warpTokens + 16 * i][kk], STRIDE);
                wmma::load_matrix_sync(b[i], &ws[warpRows + 16 * i][kk], STRIDE);
            }
#pragma unroll
            for (int i = 0; i < 2; i++) {
#pragma unroll
                for (int j = 0; j < 2; j++) {
                    wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
                }
            }
        }
        __syncthreads();
    }

    // Through shared memory, so that the tile edges can be bounds-checked and the writes coalesced.
#pragma unroll
    for (int i = 0; i < 2; i++) {
#pragma unroll
        for (int j = 0; j < 2; j++) {
            wmma::store_matrix_sync(&stage[warp][0][0], acc[i][j], STAGE_STRIDE, wmma::mem_row_major);
            __syncwarp();
            for (int e = lane; e < 16 * 16; e += 32) {
                int token = tokenBase + warpTokens + 16 * i + e / 16;
                int row = rowBase + warpRows + 16 * j + e % 16;
                if (token < tokens && row < rows) {
                    float value = stage[warp][e / 16][e % 16];
                    float* out = y + (size_t) token * ldy + row;
                    *out = accumulate ? *out + value : value;
                }
            }
            // The next fragment overwrites the staging area only after every lane has read this one.
            __syncwarp();
        }
    }
}

#define MATMUL(name, type)                                                                                   \
    extern "C" __global__ void __launch_bounds__(THREADS, 3) name(const uint8_t* w, const float* x, float* y,   \
                                                               int rows, int cols, int tokens, int ldy,      \
                                                               int accumulate) {                             \
        matmul_tile<type>(w, x, y, rows, cols, tokens, ldy, accumulate);                                      \
    }

MATMUL(matmul_f32, GGML_F32)
MATMUL(matmul_f16, GGML_F16)
MATMUL(matmul_bf16, GGML_BF16)
MATMUL(matmul_q8_0, GGML_Q8_0)
MATMUL(matmul_q4_0, GGML_Q4_0)
MATMUL(matmul_q4_k, GGML_Q4_K)
MATMUL(matmul_q5_k, GGML_Q5_K)
MATMUL(matmul_q6_k, GGML_Q6_K)
