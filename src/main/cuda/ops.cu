// The element-wise and per-token steps of the forward pass, mirroring the CPU engine (CpuSequence):
// embedding lookup, RMSNorm, rotary embedding with the KV-cache store, attention, SwiGLU. Activations are
// row-major [token][feature] floats.
#include "ggml_blocks.cuh"

#define MAX_HEAD_DIM 256
#define ATTENTION_WARPS 8

template <int TYPE>
__device__ void embed_row(const uint8_t* row, float* out, int cols) {
    for (int k = threadIdx.x; k < cols; k += blockDim.x) {
        out[k] = weight_at<TYPE>(row, k);
    }
}

// out[t] = row tokens[t] of the embedding table. Grid: one block per token.
extern "C" __global__ void embed(int type, const uint8_t* table, size_t rowBytes, const int* tokens, float* out,
                                 int cols) {
    const uint8_t* row = table + tokens[blockIdx.x] * rowBytes;
    float* o = out + (size_t) blockIdx.x * cols;
    switch (type) {
        case GGML_F32: embed_row<GGML_F32>(row, o, cols); break;
        case GGML_F16: embed_row<GGML_F16>(row, o, cols); break;
        case GGML_BF16: embed_row<GGML_BF16>(row, o, cols); break;
        case GGML_Q8_0: embed_row<GGML_Q8_0>(row, o, cols); break;
        case GGML_Q4_0: embed_row<GGML_Q4_0>(row, o, cols); break;
        case GGML_Q4_K: embed_row<GGML_Q4_K>(row, o, cols); break;
        case GGML_Q5_K: embed_row<GGML_Q5_K>(row, o, cols); break;
        default: embed_row<GGML_Q6_K>(row, o, cols); break;
    }
}

// out = x / sqrt(mean(x^2) + eps) * weight per row of n; the mean is summed in double, as in ggml and the
// CPU engine. Grid: one block of 256 threads per row.
extern "C" __global__ void rms_norm(const float* x, const float* weight, float* out, int n, float eps) {
    __shared__ double partial[256];
    const float* row = x + (size_t) blockIdx.x * n;
    double sum = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        sum += (double) row[i] * row[i];
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) {
            partial[threadIdx.x] += partial[threadIdx.x + stride];
        }
        __syncthreads();
    }
    float scale = (float) (1.0 / sqrt(partial[0] / n + eps));
    float* o = out + (size_t) blockIdx.x * n;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        o[i] = row[i] * scale * weight[i];
    }
}

// Rotates the first ropeDim values of every q and k head of token t (at position start + t), then stores
// its k and v in the KV cache ([position][kvDim] per layer). Pair i turns by position * base^(-2i/ropeDim),
// divided by LongRoPE's factors[i] when given (factors may be null), and cos/sin are scaled by `magnitude`
// (LongRoPE's attention factor); angles are computed in double like the CPU engine. Llama rotates adjacent
// pairs (2i, 2i+1), NEOX (Phi-3) pairs i with i + ropeDim/2. Grid: one block per token.
extern "C" __global__ void rope_store(float* qkv, int qkvStride, float* keys, float* values, int start, int heads,
                                      int kvHeads, int headDim, int ropeDim, float base, const float* factors,
                                      float magnitude, int neox) {
    __shared__ float cosines[MAX_HEAD_DIM / 2];
    __shared__ float sines[MAX_HEAD_DIM / 2];
    int position = start + blockIdx.x;
    int pairs = ropeDim / 2;
    for (int i = threadIdx.x; i < pairs; i += blockDim.x) {
        double frequency = pow((double) base, -2.0 * i / ropeDim);
        if (factors != nullptr) {
            frequency /= factors[i];
        }
        double angle = position * frequency;
        cosines[i] = (float) cos(angle) * magnitude;
        sines[i] = (float) sin(angle) * magnitude;
    }
    __syncthreads();
    float* v = qkv + (size_t) blockIdx.x * qkvStride;
    // The k heads follow the q heads, so head h (q or k) starts at h * headDim.
    for (int e = threadIdx.x; e < (heads + kvHeads) * pairs; e += blockDim.x) {
        int headBase = (e / pairs) * headDim;
        int i = e % pairs;
        int first = neox ? headBase + i : headBase + 2 * i;
        int second = neox ? headBase + i + pairs : headBase + 2 * i + 1;
        float a = v[first];
        float b = v[second];
        v[first] = a * cosines[i] - b * sines[i];
        v[second] = b * cosines[i] + a * sines[i];
    }
    __syncthreads();
    int kvDim = kvHeads * headDim;
    float* k = v + heads * headDim;
    for (int e = threadIdx.x; e < kvDim; e += blockDim.x) {
        keys[(size_t) position * kvDim + e] = k[e];
        values[(size_t) position * kvDim + e] = k[kvDim + e];
    }
}

// Causal attention of query head blockIdx.x of token blockIdx.y (at position start + blockIdx.y) over the
// cached positions [first, position], first = position - window + 1 when a sliding window applies. Each of
// the 8 warps walks every 8th position with an online softmax (running max m, running sum l, weighted values
// acc); the warps' partial results are then merged. Lane j holds dimensions j, j + 32, ... of the head.
extern "C" __global__ void attention(const float* qkv, int qkvStride, const float* keys, const float* values,
                                     float* out, int outStride, int start, int headDim, int headsPerKv, int kvDim,
                                     int window, float scale) {
    __shared__ float warpMax[ATTENTION_WARPS];
    __shared__ float warpSum[ATTENTION_WARPS];
    __shared__ float warpAcc[ATTENTION_WARPS][MAX_HEAD_DIM];
    int head = blockIdx.x;
    int position = start + blockIdx.y;
    int first = window > 0 ? max(0, position - window + 1) : 0;
    int warp = threadIdx.x / 32;
    int lane = threadIdx.x & 31;
    const float* q = qkv + (size_t) blockIdx.y * qkvStride + head * headDim;
    int kvOffset = (head / headsPerKv) * headDim;
    const int perLane = MAX_HEAD_DIM / 32;

    float qv[perLane];
    float acc[perLane];
    for (int i = 0; i < perLane; i++) {
        int d = lane + 32 * i;
        qv[i] = d < headDim ? q[d] : 0.0f;
        acc[i] = 0.0f;
    }
    float m = -INFINITY;
    float l = 0.0f;
    for (int t = first + warp; t <= position; t += ATTENTION_WARPS) {
        const float* k = keys + (size_t) t * kvDim + kvOffset;
        const float* v = values + (size_t) t * kvDim + kvOffset;
        float dot = 0.0f;
        for (int i = 0; i < perLane; i++) {
            int d = lane + 32 * i;
            if (d < headDim) {
                dot += qv[i] * k[d];
            }
        }
        float score = scale * warp_sum(dot);
        float newMax = fmaxf(m, score);
        float correction = expf(m - newMax);
        float weight = expf(score - newMax);
        l = l * correction + weight;
        for (int i = 0; i < perLane; i++) {
            int d = lane + 32 * i;
            acc[i] = acc[i] * correction + (d < headDim ? weight * v[d] : 0.0f);
        }
        m = newMax;
    }
    if (lane == 0) {
        warpMax[warp] = m;
        warpSum[warp] = l;
    }
    for (int i = 0; i < perLane; i++) {
        warpAcc[warp][lane + 32 * i] = acc[i];
    }
    __syncthreads();
    float blockMax = -INFINITY;
    for (int w = 0; w < ATTENTION_WARPS; w++) {
        blockMax = fmaxf(blockMax, warpMax[w]);
    }
    // A warp that saw no position has m = -inf and l = 0, so its share is exp(-inf) = 0.
    float total = 0.0f;
    for (int w = 0; w < ATTENTION_WARPS; w++) {
        total += warpSum[w] * expf(warpMax[w] - blockMax);
    }
    float* o = out + (size_t) blockIdx.y * outStride + head * headDim;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
        float sum = 0.0f;
        for (int w = 0; w < ATTENTION_WARPS; w++) {
            sum += warpAcc[w][d] * expf(warpMax[w] - blockMax);
        }
        o[d] = sum / total;
    }
}

// SwiGLU: hidden[t][i] = silu(gate) * up with gate = gateUp[t][i], up = gateUp[t][ff + i].
extern "C" __global__ void silu_mul(const float* gateUp, float* hidden, int ff, int tokens) {
    size_t count = (size_t) ff * tokens;
    for (size_t e = blockIdx.x * (size_t) blockDim.x + threadIdx.x; e < count; e += (size_t) gridDim.x * blockDim.x) {
        size_t t = e / ff;
        int i = e % ff;
        float gate = gateUp[t * 2 * ff + i];
        hidden[e] = gate / (1.0f + expf(-gate)) * gateUp[t * 2 * ff + ff + i];
    }
}
