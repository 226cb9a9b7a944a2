package dev.ggufserve.engine.cuda;

import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.ggufserve.engine.AppendChecks;
import dev.ggufserve.engine.Sequence;
import dev.ggufserve.model.ModelConfig;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * One sequence on the CUDA engine: its stream, KV cache and activation buffers on the device, and pinned
 * host buffers for the token ids going in and the logits coming out.
 *
 * <p>Appended tokens go through the model in chunks of up to {@link #MAX_CHUNK} tokens. A chunk of one token
 * (decoding) uses the matrix-vector kernels; longer chunks (prefill) use the tiled matrix-product kernels,
 * which decode each weight block once per 64 tokens. The KV cache holds float keys and values for every
 * position up to the capacity, allocated when the sequence is created.
 */
final class CudaSequence implements Sequence {

    /** The most tokens one pass holds: bounds the activation buffers (and the logits of every position). */
    static final int MAX_CHUNK = 512;

    private final CudaDevice device;
    private final Kernels kernels;
    private final ModelConfig config;
    private final DeviceWeights weights;
    private final int capacity;
    private final int chunk;
    private final CUdeviceptr ropeFactors;
    private final CUstream stream;
    private int length;

    // Device buffers, [token][feature] for up to `chunk` tokens.
    private final CUdeviceptr tokenIds;
    private final CUdeviceptr residual;
    private final CUdeviceptr normalized;
    private final CUdeviceptr qkv;
    private final CUdeviceptr attentionOutput;
    private final CUdeviceptr gateUp;
    private final CUdeviceptr hidden;
    private final CUdeviceptr deviceLogits;
    // [layer][position][kvDimension]
    private final CUdeviceptr keys;
    private final CUdeviceptr values;

    // Pinned host memory, so that copies are ordered on this sequence's stream.
    private final Pointer hostTokens;
    private final IntBuffer hostTokenView;
    private final Pointer hostLogits;
    private final FloatBuffer hostLogitsView;
    private final float[] logits;

    CudaSequence(CudaDevice device, Kernels kernels, ModelConfig config, DeviceWeights weights, int capacity) {
        this.device = device;
        this.kernels = kernels;
        this.config = config;
        this.weights = weights;
        this.capacity = capacity;
        this.chunk = Math.min(capacity, MAX_CHUNK);
        this.ropeFactors = weights.ropeFactorsFor(config, capacity);
        this.stream = new CUstream();
        // Non-blocking: this stream does not wait for work other threads put on the legacy default stream.
        cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        int embd = config.embeddingLength();
        int vocab = config.vocabularySize();
        tokenIds = device.allocate((long) chunk * Integer.BYTES);
        residual = floats((long) chunk * embd);
        normalized = floats((long) chunk * embd);
        qkv = floats((long) chunk * qkvWidth());
        attentionOutput = floats((long) chunk * embd);
        gateUp = floats((long) chunk * 2 * config.feedForwardLength());
        hidden = floats((long) chunk * config.feedForwardLength());
        deviceLogits = floats((long) chunk * vocab);
        long cacheFloats = (long) config.blockCount() * capacity * config.kvDimension();
        keys = floats(cacheFloats);
        values = floats(cacheFloats);
        hostTokens = new Pointer();
        cuMemAllocHost(hostTokens, (long) chunk * Integer.BYTES);
        hostTokenView = hostTokens.getByteBuffer(0, (long) chunk * Integer.BYTES)
                .order(ByteOrder.nativeOrder()).asIntBuffer();
        hostLogits = new Pointer();
        cuMemAllocHost(hostLogits, (long) chunk * vocab * Float.BYTES);
        hostLogitsView = hostLogits.getByteBuffer(0, (long) chunk * vocab * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        logits = new float[vocab];
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public float[] append(int[] tokens, LogitsListener everyPosition) {
        AppendChecks.check(tokens, length, capacity, config.vocabularySize());
        device.makeCurrent();
        for (int from = 0; from < tokens.length; from += chunk) {
            int count = Math.min(chunk, tokens.length - from);
            boolean lastChunk = from + count == tokens.length;
            forward(tokens, from, count);
            if (everyPosition != null) {
                outputHead(0, count);
                copyLogits(count);
                for (int i = 0; i < count; i++) {
                    hostLogitsView.get(i * config.vocabularySize(), logits);
                    everyPosition.accept(from + i, logits);
                }
            } else if (lastChunk) {
                outputHead(count - 1, 1);
                copyLogits(1);
                hostLogitsView.get(0, logits);
            } else {
                // The next chunk overwrites the pinned token ids: wait until this one's copy has been used.
                cuStreamSynchronize(stream);
            }
            length += count;
        }
        return logits;
    }

    @Override
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a sequence of " + length + " tokens to " + newLength);
        }
        // Positions from newLength on are overwritten before anything reads them again.
        length = newLength;
    }

    @Override
    public void close() {
        device.makeCurrent();
        cuStreamSynchronize(stream);
        for (CUdeviceptr buffer : List.of(tokenIds, residual, normalized, qkv, attentionOutput, gateUp, hidden,
                deviceLogits, keys, values)) {
            CudaDevice.free(buffer);
        }
        cuMemFreeHost(hostTokens);
        cuMemFreeHost(hostLogits);
        cuStreamDestroy(stream);
    }

    /** Enqueues {@code count} tokens starting at {@code tokens[from]}, at positions length.., through every layer. */
    private void forward(int[] tokens, int from, int count) {
        int embd = config.embeddingLength();
        int ff = config.feedForwardLength();
        float eps = config.rmsNormEpsilon();
        hostTokenView.put(0, tokens, from, count);
        cuMemcpyHtoDAsync(tokenIds, hostTokens, (long) count * Integer.BYTES, stream);
        kernels.embed(stream, weights.tokenEmbedding(), tokenIds, residual, count);
        long layerCacheBytes = (long) capacity * config.kvDimension() * Float.BYTES;
        for (int layer = 0; layer < config.blockCount(); layer++) {
            DeviceWeights.Layer w = weights.layers().get(layer);
            CUdeviceptr layerKeys = keys.withByteOffset(layer * layerCacheBytes);
            CUdeviceptr layerValues = values.withByteOffset(layer * layerCacheBytes);

            kernels.rmsNorm(stream, residual, w.attentionNorm(), normalized, count, embd, eps);
            project(w.qkvProjections(), normalized, qkv, count, qkvWidth(), false);
            kernels.ropeStore(stream, config, qkv, qkvWidth(), layerKeys, layerValues, length, count, ropeFactors);
            kernels.attention(stream, config, qkv, qkvWidth(), layerKeys, layerValues, attentionOutput, length, count);
            project(List.of(w.attentionOutput()), attentionOutput, residual, count, embd, true);

            kernels.rmsNorm(stream, residual, w.feedForwardNorm(), normalized, count, embd, eps);
            project(w.gateUpProjections(), normalized, gateUp, count, 2 * ff, false);
            kernels.siluMul(stream, gateUp, hidden, ff, count);
            project(List.of(w.feedForwardDown()), hidden, residual, count, embd, true);
        }
    }

    /** Final norm and output head for {@code rows} tokens of the pass starting at token {@code first}. */
    private void outputHead(int first, int rows) {
        int embd = config.embeddingLength();
        long rowBytes = (long) embd * Float.BYTES;
        kernels.rmsNorm(stream, residual.withByteOffset(first * rowBytes), weights.outputNorm(), normalized, rows,
                embd, config.rmsNormEpsilon());
        project(List.of(weights.output()), normalized, deviceLogits, rows, config.vocabularySize(), false);
    }

    /** Copies the first {@code rows} rows of logits into the pinned host buffer and waits for them. */
    private void copyLogits(int rows) {
        cuMemcpyDtoHAsync(hostLogits, deviceLogits, (long) rows * config.vocabularySize() * Float.BYTES, stream);
        cuStreamSynchronize(stream);
    }

    /**
     * Runs the matrices on the same {@code tokens} input rows, their outputs side by side in rows of {@code width}
     * floats of {@code output} (q | k | v, gate | up), added to what is there when {@code accumulate}.
     */
    private void project(List<DeviceMatrix> matrices, CUdeviceptr input, CUdeviceptr output, int tokens, int width,
            boolean accumulate) {
        long column = 0;
        for (DeviceMatrix matrix : matrices) {
            CUdeviceptr target = output.withByteOffset(column * Float.BYTES);
            if (tokens == 1) {
                kernels.matVec(stream, matrix, input, target, accumulate);
            } else {
                kernels.matMul(stream, matrix, input, target, tokens, width, accumulate);
            }
            column += matrix.rows();
        }
    }

    private int qkvWidth() {
        return config.embeddingLength() + 2 * config.kvDimension();
    }

    private CUdeviceptr floats(long count) {
        return device.allocate(count * Float.BYTES);
    }
}
