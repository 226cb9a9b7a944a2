// Decoding of the ggml block layouts gguf-serve reads (ggml-common.h), one weight at a time. The Java
// classes in dev.ggufserve.tensor (Q4KMatrix, Q6KMatrix, ...) document the same layouts and are the
// reference these functions are tested against.
#pragma once

#include <cuda_fp16.h>
#include <stdint.h>

// ggml's type ids, as GgmlType.id() in Java.
#define GGML_F32 0
#define GGML_F16 1
#define GGML_Q4_0 2
#define GGML_Q8_0 8
#define GGML_Q4_K 12
#define GGML_Q5_K 13
#define GGML_Q6_K 14
#define GGML_BF16 30

__device__ __forceinline__ float half_at(const uint8_t* p) {
    // Block scales sit at even offsets, so a 2-byte load is aligned.
    return __half2float(__ushort_as_half(*reinterpret_cast<const unsigned short*>(p)));
}

__device__ __forceinline__ float bf16_at(const uint8_t* p) {
    return __uint_as_float(((unsigned int) *reinterpret_cast<const unsigned short*>(p)) << 16);
}

// Q4_K / Q5_K: the 12 scale bytes hold a 6-bit scale and a 6-bit min per 32-weight sub-block (ggml's
// get_scale_min_k4): sub-blocks 0..3 use the low 6 bits of bytes 0..3 (scale) and 4..7 (min); 4..7 take
// their low 4 bits from a nibble of bytes 8..11 and their top 2 bits from the top bits of bytes 0..7.
__device__ __forceinline__ void k_scale_min(const uint8_t* scales, int sub, int* scale, int* min) {
    if (sub < 4) {
        *scale = scales[sub] & 63;
        *min = scales[sub + 4] & 63;
    } else {
        *scale = (scales[sub + 4] & 0x0F) | ((scales[sub - 4] >> 6) << 4);
        *min = (scales[sub + 4] >> 4) | ((scales[sub] >> 6) << 4);
    }
}

// Weight k of one row of a Q4_K matrix: super-blocks of 256 weights in 144 bytes
// {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}; chunk c (64 weights) uses qs[32c .. 32c+31]: the low nibble
// of byte l is weight 64c+l (sub-block 2c), the high nibble weight 64c+32+l (sub-block 2c+1).
// Q5_K (176 bytes: ... u8 qh[32] at 16, qs at 48) adds a fifth bit: bit `sub` of qh[l].
template <bool FIVE_BITS>
__device__ __forceinline__ float k_quant_weight(const uint8_t* row, int k) {
    const uint8_t* block = row + (k / 256) * (FIVE_BITS ? 176 : 144);
    int i = k % 256;
    int chunk = i / 64;
    int high = (i % 64) / 32;
    int l = i % 32;
    int sub = 2 * chunk + high;
    const uint8_t* qs = block + (FIVE_BITS ? 48 : 16);
    int q = (qs[32 * chunk + l] >> (4 * high)) & 0x0F;
    if (FIVE_BITS) {
        q |= ((block[16 + l] >> sub) & 1) << 4;
    }
    int scale, min;
    k_scale_min(block + 4, sub, &scale, &min);
    return half_at(block) * scale * q - half_at(block + 2) * min;
}

// Weight k of one row of a Q6_K matrix: super-blocks of 256 weights in 210 bytes
// {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}. In 128-weight half n, weight 32g + l (g = 0..3, l = 0..31)
// takes its low 4 bits from ql[64n + l + 32(g&1)] (low nibble for g < 2, high for g >= 2), its top 2 bits
// from bits 2g..2g+1 of qh[32n + l] and its scale from scales[8n + l/16 + 2g]; weight = d * sc * (q - 32).
__device__ __forceinline__ float q6_k_weight(const uint8_t* row, int k) {
    const uint8_t* block = row + (k / 256) * 210;
    int i = k % 256;
    int half = i / 128;
    int g = (i % 128) / 32;
    int l = i % 32;
    int low = (block[64 * half + l + 32 * (g & 1)] >> (4 * (g >> 1))) & 0x0F;
    int top = (block[128 + 32 * half + l] >> (2 * g)) & 3;
    int scale = (int8_t) block[192 + 8 * half + l / 16 + 2 * g];
    return half_at(block + 208) * scale * ((low | (top << 4)) - 32);
}

// Weight k of one row of a matrix of ggml type TYPE.
// Q8_0: blocks of 32 in 34 bytes {f16 d; i8 qs[32]}, weight = d * qs[j].
// Q4_0: blocks of 32 in 18 bytes {f16 d; u8 qs[16]}: low nibble of byte j is weight j, high nibble weight
// j + 16, each stored offset by 8.
template <int TYPE>
__device__ __forceinline__ float weight_at(const uint8_t* row, int k) {
    if (TYPE == GGML_F32) {
        return reinterpret_cast<const float*>(row)[k];
    } else if (TYPE == GGML_F16) {
        return half_at(row + 2 * k);
    } else if (TYPE == GGML_BF16) {
        return bf16_at(row + 2 * k);
    } else if (TYPE == GGML_Q8_0) {
        const uint8_t* block = row + (k / 32) * 34;
        return half_at(block) * (int8_t) block[2 + k % 32];
    } else if (TYPE == GGML_Q4_0) {
        const uint8_t* block = row + (k / 32) * 18;
        int j = k % 32;
        int q = (block[2 + j % 16] >> (4 * (j / 16))) & 0x0F;
        return half_at(block) * (q - 8);
    } else if (TYPE == GGML_Q4_K) {
        return k_quant_weight<false>(row, k);
    } else if (TYPE == GGML_Q5_K) {
        return k_quant_weight<true>(row, k);
    } else {
        return q6_k_weight(row, k);
    }
}

// Byte j (0..7) of 8 bytes held in a uint2, little-endian as they lay in memory.
__device__ __forceinline__ unsigned int byte_of(uint2 bytes, int j) {
    return ((j < 4 ? bytes.x : bytes.y) >> (8 * (j & 3))) & 0xFF;
}

// 8 bytes from an address that is only 2-byte aligned (inside Q6_K, Q8_0 and Q4_0 blocks of 210, 34 and 18
// bytes), as four 2-byte loads.
__device__ __forceinline__ uint2 bytes8_at(const uint8_t* p) {
    const unsigned short* s = reinterpret_cast<const unsigned short*>(p);
    return make_uint2(s[0] | ((unsigned int) s[1] << 16), s[2] | ((unsigned int) s[3] << 16));
}

// Weights k .. k+7 of one row (k a multiple of 8) into out[0..7]: the same values as weight_at, but reading
// each block's scales once and the quantized bytes 8 at a time, which is what makes decoding the weights
// cheap next to the tensor-core work in matmul.cu. For the block types cols is a whole number of blocks
// (32 or 256 weights), so a run never leaves its block or the row; float rows may end inside the run, and
// their weights from `cols` on are 0.
template <int TYPE>
__device__ __forceinline__ void weights8_at(const uint8_t* row, int k, int cols, float* out) {
    if (TYPE == GGML_Q4_K || TYPE == GGML_Q5_K) {
        // Layout at k_quant_weight: the run lies in one 32-weight sub-block, in the qs bytes l .. l+7 of its
        // chunk. Blocks of 144 and 176 bytes and offsets 16/48 + 32 chunk + l keep these 8-byte loads aligned.
        const bool five = TYPE == GGML_Q5_K;
        const uint8_t* block = row + (k / 256) * (five ? 176 : 144);
        int i = k % 256;
        int chunk = i / 64;
        int high = (i % 64) / 32;
        int l = i % 32;
        int sub = 2 * chunk + high;
        uint2 qs = *reinterpret_cast<const uint2*>(block + (five ? 48 : 16) + 32 * chunk + l);
        uint2 qh = five ? *reinterpret_cast<const uint2*>(block + 16 + l) : make_uint2(0, 0);
        int scale, min;
        k_scale_min(block + 4, sub, &scale, &min);
        float d = half_at(block) * scale;
        float m = half_at(block + 2) * min;
#pragma unroll
        for (int j = 0; j < 8; j++) {
            int q = (byte_of(qs, j) >> (4 * high)) & 0x0F;
            if (five) {
                q |= ((byte_of(qh, j) >> sub) & 1) << 4;
            }
            out[j] = d * q - m;
        }
    } else if (TYPE == GGML_Q6_K) {
        // Layout at q6_k_weight: the run lies in one 16-weight scale group of group g of its half.
        const uint8_t* block = row + (k / 256) * 210;
        int i = k % 256;
        int half = i / 128;
        int g = (i % 128) / 32;
        int l = i % 32;
        uint2 low = bytes8_at(block + 64 * half + l + 32 * (g & 1));
        uint2 top = bytes8_at(block + 128 + 32 * half + l);
        float d = half_at(block + 208) * (int8_t) block[192 + 8 * half + l / 16 + 2 * g];
#pragma unroll
        for (int j = 0; j < 8; j++) {
            int q = ((byte_of(low, j) >> (4 * (g >> 1))) & 0x0F) | (((byte_of(top, j) >> (2 * g)) & 3) << 4);
            out[j] = d * (q - 32);
        }
    } else if (TYPE == GGML_Q8_0) {
        const uint8_t* block = row + (k / 32) * 34;
        uint2 qs = bytes8_at(block + 2 + k % 32);
        float d = half_at(block);
#pragma unroll
        for (int j = 0; j < 8; j++) {
            out[j] = d * (int8_t) byte_of(qs, j);
        }
    } else if (TYPE == GGML_Q4_0) {
        // Weights j < 16 are the low nibbles of bytes j, weights j >= 16 the high nibbles of bytes j - 16.
        const uint8_t* block = row + (k / 32) * 18;
        int j0 = k % 32;
        uint2 qs = bytes8_at(block + 2 + j0 % 16);
        float d = half_at(block);
#pragma unroll
        for (int j = 0; j < 8; j++) {
            out[j] = d * ((int) ((byte_of(qs, j) >> (4 * (j0 / 16))) & 0x0F) - 8);
        }
    } else {
#pragma unroll
        for (int j = 0; j < 8; j++) {
            out[j] = k + j < cols ? weight_at<TYPE>(row, k + j) : 0.0f;
        }
    }
}

// Bytes of one row of `cols` weights (cols a whole number of blocks).
template <int TYPE>
__host__ __device__ __forceinline__ size_t row_bytes(int cols) {
    switch (TYPE) {
        case GGML_F32: return (size_t) cols * 4;
        case GGML_F16: return (size_t) cols * 2;
        case GGML_BF16: return (size_t) cols * 2;
        case GGML_Q8_0: return (size_t) cols / 32 * 34;
        case GGML_Q4_0: return (size_t) cols / 32 * 18;
        case GGML_Q4_K: return (size_t) cols / 256 * 144;
        case GGML_Q5_K: return (size_t) cols / 256 * 176;
        default: return (size_t) cols / 256 * 210;
    }
}

__device__ __forceinline__ float warp_sum(float value) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        value += __shfl_xor_sync(0xffffffff, value, offset);
    }
    return value;
}
