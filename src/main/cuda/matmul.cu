// Matrix products Y = X W^T (or Y += X W^T) for prefill: X holds `tokens` activation rows, W the weight
// rows in their GGUF blocks. Each 128-thread block computes a tile of 64 tokens x 64 weight rows: per
// 32-wide slice of the columns it decodes the 64 weight rows into shared memory (each weight decoded once
// per 64 tokens instead of once per token) and multiplies on the tensor cores in TF32 (10-bit mantissa,
// float range, float accumulation). Launch with grid (ceil(rows / 64), ceil(tokens / 64)).
#include <mma.h>
#include "ggml_blocks.cuh"

using namespace nvcuda;

#define TILE 64
#define SLICE 32
// Row stride of the shared tiles: a multiple of 4 floats (wmma's rule for float) that is not a multiple of
// 32, so the rows of a tile do not all fall into the same shared-memory bank.
#define STRIDE (SLICE + 4)
#define WARP_TILE 32
#define STAGE_STRIDE (WARP_TILE + 4)

template <int TYPE>
__device__ void matmul_tile(const uint8_t* w, const float* x, float* y, int rows, int cols, int tokens,
                            int ldy, int accumulate) {
    // wmma loads need 256-bit aligned addresses: rows of 16 x STRIDE floats and column offsets of 8 floats.
    __shared__ __align__(32) float xs[TILE][STRIDE];
    __shared__ __align__(32) float ws[TILE][STRIDE];
    __shared__ __align__(32) float stage[4][WARP_TILE][STAGE_STRIDE];

    int rowBase = blockIdx.x * TILE;
    int tokenBase = blockIdx.y * TILE;
    int warp = threadIdx.x / 32;
    int lane = threadIdx.x & 31;
    // The 4 warps split the tile 2 x 2: warp computes tokens warpTokens.. x rows warpRows.. (32 x 32).
    int warpTokens = (warp / 2) * WARP_TILE;
    int warpRows = (warp % 2) * WARP_TILE;
    size_t rowBytes = row_bytes<TYPE>(cols);

    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            wmma::fill_fragment(acc[i][j], 0.0f);
        }
    }

    for (int k0 = 0; k0 < cols; k0 += SLICE) {
        // Consecutive threads take consecutive columns of one row: neighbouring bytes of the same blocks.
        for (int e = threadIdx.x; e < TILE * SLICE; e += blockDim.x) {
            int r = e / SLICE;
            int k = k0 + e % SLICE;
            int row = rowBase + r;
            ws[r][e % SLICE] = (row < rows && k < cols) ? weight_at<TYPE>(w + row * rowBytes, k) : 0.0f;
            int token = tokenBase + r;
            xs[r][e % SLICE] = (token < tokens && k < cols) ? x[(size_t) token * cols + k] : 0.0f;
        }
        __syncthreads();
        for (int kk = 0; kk < SLICE; kk += 8) {
            wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a[2];
            // B(k, n) = W[n][k]: the weight tile read column-major is W^T.
            wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> b[2];
            for (int i = 0; i < 2; i++) {
                wmma::load_matrix_sync(a[i], &xs[warpTokens + 16 * i][kk], STRIDE);
                wmma::load_matrix_sync(b[i], &ws[warpRows + 16 * i][kk], STRIDE);
                for (int t = 0; t < a[i].num_elements; t++) {
                    a[i].x[t] = wmma::__float_to_tf32(a[i].x[t]);
                }
                for (int t = 0; t < b[i].num_elements; t++) {
                    b[i].x[t] = wmma::__float_to_tf32(b[i].x[t]);
                }
            }
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
                }
            }
        }
        __syncthreads();
    }

    // Through shared memory, so that the tile edges can be bounds-checked and the writes coalesced.
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            wmma::store_matrix_sync(&stage[warp][16 * i][16 * j], acc[i][j], STAGE_STRIDE, wmma::mem_row_major);
        }
    }
    __syncwarp();
    for (int e = lane; e < WARP_TILE * WARP_TILE; e += 32) {
        int token = tokenBase + warpTokens + e / WARP_TILE;
        int row = rowBase + warpRows + e % WARP_TILE;
        if (token < tokens && row < rows) {
            float value = stage[warp][e / WARP_TILE][e % WARP_TILE];
            float* out = y + (size_t) token * ldy + row;
            *out = accumulate ? *out + value : value;
        }
    }
}

#define MATMUL(name, type)                                                                                   \
    extern "C" __global__ void name(const uint8_t* w, const float* x, float* y, int rows, int cols,          \
                                    int tokens, int ldy, int accumulate) {                                   \
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
