// Matrix-vector products y = W x (or y += W x) for decoding one token: one warp per weight row, the
// quantized blocks read straight from the uploaded GGUF bytes. Launch with 128 threads (4 rows) per block
// and ceil(rows / 4) blocks.
#include "ggml_blocks.cuh"

#define ROWS_PER_BLOCK 4

__device__ __forceinline__ void finish_row(float* y, int row, float sum, int accumulate) {
    sum = warp_sum(sum);
    if ((threadIdx.x & 31) == 0) {
        y[row] = accumulate ? y[row] + sum : sum;
    }
}

// Types whose weights are cheap to decode one at a time (floats, Q8_0, Q4_0): lane j takes weights
// j, j + 32, ... so a warp reads consecutive bytes.
template <int TYPE>
__device__ void matvec_elementwise(const uint8_t* w, const float* x, float* y, int rows, int cols, int accumulate) {
    int row = blockIdx.x * ROWS_PER_BLOCK + threadIdx.x / 32;
    if (row >= rows) {
        return;
    }
    const uint8_t* r = w + row * row_bytes<TYPE>(cols);
    float sum = 0.0f;
    for (int k = threadIdx.x & 31; k < cols; k += 32) {
        sum += weight_at<TYPE>(r, k) * x[k];
    }
    finish_row(y, row, sum, accumulate);
}

// Q4_K and Q5_K (layouts in ggml_blocks.cuh): per 256-weight super-block, lane = 8 * chunk + j reads the
// 4 qs bytes 4j..4j+3 of its chunk, i.e. weights 64 chunk + 4j + (0..3) (low nibbles, sub-block 2 chunk)
// and 64 chunk + 32 + 4j + (0..3) (high nibbles, sub-block 2 chunk + 1); the warp reads the 128 qs bytes in
// one go. Blocks are 144 or 176 bytes, so these 4-byte loads are aligned.
template <bool FIVE_BITS>
__device__ void matvec_k4(const uint8_t* w, const float* x, float* y, int rows, int cols, int accumulate) {
    int row = blockIdx.x * ROWS_PER_BLOCK + threadIdx.x / 32;
    if (row >= rows) {
        return;
    }
    const int blockBytes = FIVE_BITS ? 176 : 144;
    const int qsOffset = FIVE_BITS ? 48 : 16;
    int lane = threadIdx.x & 31;
    int chunk = lane / 8;
    int j = lane % 8;
    int blocks = cols / 256;
    const uint8_t* r = w + (size_t) row * blocks * blockBytes;
    float sum = 0.0f;
    for (int b = 0; b < blocks; b++) {
        const uint8_t* block = r + b * blockBytes;
        unsigned int q = *reinterpret_cast<const unsigned int*>(block + qsOffset + 32 * chunk + 4 * j);
        unsigned int fifth = FIVE_BITS ? *reinterpret_cast<const unsigned int*>(block + 16 + 4 * j) : 0;
        const float* xb = x + b * 256 + 64 * chunk + 4 * j;
        float4 xl = *reinterpret_cast<const float4*>(xb);
        float4 xh = *reinterpret_cast<const float4*>(xb + 32);
        float xlv[4] = {xl.x, xl.y, xl.z, xl.w};
        float xhv[4] = {xh.x, xh.y, xh.z, xh.w};
        float lowDot = 0.0f, highDot = 0.0f, lowSum = 0.0f, highSum = 0.0f;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int low = (q >> (8 * i)) & 0x0F;
            int high = (q >> (8 * i + 4)) & 0x0F;
            if (FIVE_BITS) {
                low |= ((fifth >> (8 * i + 2 * chunk)) & 1) << 4;
                high |= ((fifth >> (8 * i + 2 * chunk + 1)) & 1) << 4;
            }
            lowDot += low * xlv[i];
            highDot += high * xhv[i];
            lowSum += xlv[i];
            highSum += xhv[i];
        }
        int lowScale, lowMin, highScale, highMin;
        k_scale_min(block + 4, 2 * chunk, &lowScale, &lowMin);
        k_scale_min(block + 4, 2 * chunk + 1, &highScale, &highMin);
        float d = half_at(block);
        float dmin = half_at(block + 2);
        sum += d * (lowScale * lowDot + highScale * highDot) - dmin * (lowMin * lowSum + highMin * highSum);
    }
    finish_row(y, row, sum, accumulate);
}

// Q6_K (layout in ggml_blocks.cuh): lane = 16 * half + m takes positions l = 2m, 2m + 1 of its 128-weight
// half, i.e. weights 32g + l for g = 0..3. Blocks are 210 bytes, so only 2-byte loads are aligned.
__device__ void matvec_q6_k_rows(const uint8_t* w, const float* x, float* y, int rows, int cols, int accumulate) {
    int row = blockIdx.x * ROWS_PER_BLOCK + threadIdx.x / 32;
    if (row >= rows) {
        return;
    }
    int lane = threadIdx.x & 31;
    int half = lane / 16;
    int l = 2 * (lane % 16);
    int blocks = cols / 256;
    const uint8_t* r = w + (size_t) row * blocks * 210;
    float sum = 0.0f;
    for (int b = 0; b < blocks; b++) {
        const uint8_t* block = r + b * 210;
        unsigned int qlFirst = *reinterpret_cast<const unsigned short*>(block + 64 * half + l);
        unsigned int qlSecond = *reinterpret_cast<const unsigned short*>(block + 64 * half + 32 + l);
        unsigned int qh = *reinterpret_cast<const unsigned short*>(block + 128 + 32 * half + l);
        const int8_t* scales = reinterpret_cast<const int8_t*>(block + 192 + 8 * half + l / 16);
        const float* xb = x + b * 256 + 128 * half + l;
        float blockSum = 0.0f;
#pragma unroll
        for (int g = 0; g < 4; g++) {
            unsigned int ql = (g & 1) ? qlSecond : qlFirst;
            int shift = 4 * (g >> 1);
            int q0 = (((ql >> shift) & 0x0F) | (((qh >> (2 * g)) & 3) << 4)) - 32;
            int q1 = (((ql >> (8 + shift)) & 0x0F) | (((qh >> (8 + 2 * g)) & 3) << 4)) - 32;
            float2 xv = *reinterpret_cast<const float2*>(xb + 32 * g);
            blockSum += scales[2 * g] * (q0 * xv.x + q1 * xv.y);
        }
        sum += half_at(block + 208) * blockSum;
    }
    finish_row(y, row, sum, accumulate);
}

#define MATVEC(name, call)                                                                                   \
    extern "C" __global__ void name(const uint8_t* w, const float* x, float* y, int rows, int cols,          \
                                    int accumulate) {                                                        \
        call(w, x, y, rows, cols, accumulate);                                                               \
    }

MATVEC(matvec_f32, matvec_elementwise<GGML_F32>)
MATVEC(matvec_f16, matvec_elementwise<GGML_F16>)
MATVEC(matvec_bf16, matvec_elementwise<GGML_BF16>)
MATVEC(matvec_q8_0, matvec_elementwise<GGML_Q8_0>)
MATVEC(matvec_q4_0, matvec_elementwise<GGML_Q4_0>)
MATVEC(matvec_q4_k, matvec_k4<false>)
MATVEC(matvec_q5_k, matvec_k4<true>)
MATVEC(matvec_q6_k, matvec_q6_k_rows)
