package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.BYTES;
import static dev.ggufserve.tensor.Lanes.COUNT;
import static dev.ggufserve.tensor.Lanes.FLOATS;
import static dev.ggufserve.tensor.Lanes.INTS;
import static dev.ggufserve.tensor.Lanes.LE;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K (ggml-common.h {@code block_q4_K}): super-blocks of 256 weights in 144 bytes,
 * {@code f16 d; f16 dmin; uint8 scales[12]; uint8 qs[128]}. The 8 sub-blocks of 32 weights each have a
 * 6-bit scale sc and min m ({@link KQuantScales}); weight = d * sc * q - dmin * m with q a 4-bit value.
 * The 256 weights come in 4 chunks of 64 sharing 32 bytes of qs: byte l of chunk c holds weight
 * 64c + l (low nibble, sub-block 2c) and weight 64c + 32 + l (high nibble, sub-block 2c + 1).
 */
final class Q4KMatrix extends WeightMatrix {

    private static final int BLOCK_WEIGHTS = 256;
    private static final int BLOCK_BYTES = 144;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QS = 16;
    private static final int CHUNKS = 4;
    private static final int SUB_BLOCK = 32;
    /** Longs as wide as {@link Lanes#BYTES}: the 8 min bytes broadcast into it convert to the first 8 float lanes
     * (repeated above them on 512 bits, where the zero padding of the sums cancels them). */
    /** The distance between two tokens' activations in the small tile's pass-major copy. */
    private static final int TOKEN = WeightMatrix.SMALL_TILE_PASS;
    private static final VectorSpecies<Long> MIN_LONGS = BYTES.withLanes(long.class);

    Q4KMatrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.Q4_K, rows, cols);
    }

    /** As {@link #dotRow(long, float[], int, float[])}, with the sub-block sums of x computed for this row alone. */
    @Override
    float dotRow(long rowOffset, float[] x, int xOffset) {
        float[] sums = new float[blocksPerRow() * KQuantScales.SUMS_STRIDE];
        KQuantScales.subBlockSums(x, xOffset, blocksPerRow(), sums);
        return dotRow(rowOffset, x, xOffset, sums);
    }

    @Override
    float[] activationSums(float[] x, int xOffset) {
        float[] sums = groupSumsBuffer(blocksPerRow() * KQuantScales.SUMS_STRIDE);
        KQuantScales.subBlockSums(x, xOffset, blocksPerRow(), sums);
        return sums;
    }

    /**
     * The row's dot product as the sum over sub-blocks j of d * sc_j * sum(q * x) - dmin * m_j * sum(x), with the
     * sub-block sums of x precomputed once per call ({@link KQuantScales#subBlockSums}, like llama.cpp's bsums): the
     * min term leaves the inner loop and costs one vector multiply and FMA per super-block (its 8 mins taken apart
     * with whole-word operations, {@link KQuantScales#mins}, and converted in one vector). Each group of
     * {@link Lanes#COUNT} packed bytes is widened to int lanes once, split into the low and high nibbles with
     * integer and/shift (x86 has no byte shifts) and converted to floats; q * x accumulates in a per-sub-block
     * vector, which is scaled by d * sc_j into the low or high accumulator. Measured: 13.2 -> 17.0 GMAC/s single
     * thread; the same algebra with the mins taken out one by one in scalar code was slower than before (11.6).
     */
    @Override
    float dotRow(long rowOffset, float[] x, int xOffset, float[] sums) {
        FloatVector lowSum = FloatVector.zero(FLOATS);
        FloatVector highSum = FloatVector.zero(FLOATS);
        FloatVector minSum = FloatVector.zero(FLOATS);
        for (int block = 0; block < blocksPerRow(); block++) {
            long blockOffset = rowOffset + (long) block * BLOCK_BYTES;
            int xBlock = xOffset + block * BLOCK_WEIGHTS;
            float d = Bytes.float16(segment, blockOffset);
            float dmin = Bytes.float16(segment, blockOffset + DMIN);
            long scalesFirst8 = KQuantScales.first8(segment, blockOffset + SCALES);
            int scalesLast4 = KQuantScales.last4(segment, blockOffset + SCALES);
            long scales = KQuantScales.scales(scalesFirst8, scalesLast4);
            // dmin * sum over the 8 sub-blocks of m_j * sum(x_j), in 8 float lanes
            FloatVector mins = (FloatVector) LongVector.broadcast(MIN_LONGS, KQuantScales.mins(scalesFirst8, scalesLast4))
                    .reinterpretAsBytes().convertShape(VectorOperators.B2F, FLOATS, 0);
            minSum = mins.mul(FloatVector.fromArray(FLOATS, sums, block * KQuantScales.SUMS_STRIDE))
                    .fma(FloatVector.broadcast(FLOATS, dmin), minSum);
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                float lowScale = d * ((int) (scales >>> 8 * lowSubBlock) & 0xFF);
                float highScale = d * ((int) (scales >>> 8 * highSubBlock) & 0xFF);
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                int xLow = xBlock + lowSubBlock * SUB_BLOCK;
                int xHigh = xBlock + highSubBlock * SUB_BLOCK;
                IntVector firstPacked = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                FloatVector lowDot = ((FloatVector) firstPacked.and(0x0F).convert(VectorOperators.I2F, 0))
                        .mul(FloatVector.fromArray(FLOATS, x, xLow));
                FloatVector highDot = ((FloatVector) firstPacked.lanewise(VectorOperators.LSHR, 4)
                        .convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(FLOATS, x, xHigh));
                for (int l = COUNT; l < SUB_BLOCK; l += COUNT) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    FloatVector low = (FloatVector) packed.and(0x0F).convert(VectorOperators.I2F, 0);
                    FloatVector high = (FloatVector) packed.lanewise(VectorOperators.LSHR, 4)
                            .convert(VectorOperators.I2F, 0);
                    lowDot = low.fma(FloatVector.fromArray(FLOATS, x, xLow + l), lowDot);
                    highDot = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + l), highDot);
                }
                lowSum = lowDot.fma(FloatVector.broadcast(FLOATS, lowScale), lowSum);
                highSum = highDot.fma(FloatVector.broadcast(FLOATS, highScale), highSum);
            }
        }
        return Lanes.sum(lowSum.add(highSum).sub(minSum));
    }

    /**
     * The 8 scales and mins taken apart once per super-block as whole words ({@link KQuantScales#scales},
     * {@link KQuantScales#mins}), and the nibbles split on int lanes (x86 has no byte shift), as in {@link #dotRow}.
     */
    @Override
    void dequantizeBlocks(long offset, int blocks, float[] out, int outOffset) {
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + (long) block * BLOCK_BYTES;
            int outBlock = outOffset + block * BLOCK_WEIGHTS;
            float d = Bytes.float16(segment, blockOffset);
            float dmin = Bytes.float16(segment, blockOffset + DMIN);
            long scalesFirst8 = KQuantScales.first8(segment, blockOffset + SCALES);
            int scalesLast4 = KQuantScales.last4(segment, blockOffset + SCALES);
            long scales = KQuantScales.scales(scalesFirst8, scalesLast4);
            long mins = KQuantScales.mins(scalesFirst8, scalesLast4);
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                float lowScale = d * ((int) (scales >>> 8 * lowSubBlock) & 0xFF);
                float lowMin = dmin * ((int) (mins >>> 8 * lowSubBlock) & 0xFF);
                float highScale = d * ((int) (scales >>> 8 * highSubBlock) & 0xFF);
                float highMin = dmin * ((int) (mins >>> 8 * highSubBlock) & 0xFF);
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                int outLow = outBlock + lowSubBlock * SUB_BLOCK;
                int outHigh = outBlock + highSubBlock * SUB_BLOCK;
                for (int l = 0; l < SUB_BLOCK; l += COUNT) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    ((FloatVector) packed.and(0x0F).convert(VectorOperators.I2F, 0))
                            .fma(lowScale, -lowMin).intoArray(out, outLow + l);
                    ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                            .fma(highScale, -highMin).intoArray(out, outHigh + l);
                }
            }
        }
    }

    /**
     * Fused small-tile kernels: each vector of 16 weights is decoded as in {@link #dequantizeBlocks} (scale and min
     * folded into one FMA) and FMAed from its register into every token's accumulators, never stored; 4 or 8 tokens
     * per call ({@link WeightMatrix#smallTileWidth}: the activations of padding tokens are zeros). Measured,
     * 16384 x 3072, one thread, microseconds per token per million weights: 8 tokens 39 against 45-49 decoding
     * into a buffer, 4 tokens 47 against 57-60 (docs/PERFORMANCE.md). Q5_K and Q6_K have their own, built the same way.
     */
    @Override
    void addPassToTokens(long offset, int blocks, float[] x, int xOffset, int tokens, float[] acc, int accOffset,
            float[] buffer, int bufferOffset) {
        if (tokens <= 4) {
            addPassTo4Tokens(offset, blocks, x, xOffset, acc, accOffset);
        } else {
            addPassTo8Tokens(offset, blocks, x, xOffset, acc, accOffset);
        }
    }

    /** {@link #addPassToTokens} for 4 tokens: low[t] and high[t] sum the low- and high-nibble sub-blocks' products. */
    private void addPassTo4Tokens(long offset, int blocks, float[] x, int xOffset, float[] acc, int accOffset) {
        FloatVector low0 = FloatVector.zero(FLOATS);
        FloatVector low1 = low0, low2 = low0, low3 = low0;
        FloatVector high0 = low0, high1 = low0, high2 = low0, high3 = low0;
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + (long) block * BLOCK_BYTES;
            int xBlock = xOffset + block * BLOCK_WEIGHTS;
            float d = Bytes.float16(segment, blockOffset);
            float dmin = Bytes.float16(segment, blockOffset + DMIN);
            long scalesFirst8 = KQuantScales.first8(segment, blockOffset + SCALES);
            int scalesLast4 = KQuantScales.last4(segment, blockOffset + SCALES);
            long scales = KQuantScales.scales(scalesFirst8, scalesLast4);
            long mins = KQuantScales.mins(scalesFirst8, scalesLast4);
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                float lowScale = d * ((int) (scales >>> 8 * lowSubBlock) & 0xFF);
                float lowMin = dmin * ((int) (mins >>> 8 * lowSubBlock) & 0xFF);
                float highScale = d * ((int) (scales >>> 8 * highSubBlock) & 0xFF);
                float highMin = dmin * ((int) (mins >>> 8 * highSubBlock) & 0xFF);
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                // two vectors per iteration: one iteration on 512 bits, so no inner loop is left for C2 to hoist
                // the tokens' bounds checks out of once per chunk
                for (int l = 0; l < SUB_BLOCK; l += 2 * COUNT) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    IntVector nextPacked = (IntVector) ByteVector.fromMemorySegment(BYTES, segment,
                            chunkQs + l + COUNT, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    FloatVector low = ((FloatVector) packed.and(0x0F).convert(VectorOperators.I2F, 0))
                            .fma(lowScale, -lowMin);
                    FloatVector high = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4)
                            .convert(VectorOperators.I2F, 0)).fma(highScale, -highMin);
                    FloatVector nextLow = ((FloatVector) nextPacked.and(0x0F).convert(VectorOperators.I2F, 0))
                            .fma(lowScale, -lowMin);
                    FloatVector nextHigh = ((FloatVector) nextPacked.lanewise(VectorOperators.LSHR, 4)
                            .convert(VectorOperators.I2F, 0)).fma(highScale, -highMin);
                    int xLow = xBlock + lowSubBlock * SUB_BLOCK + l;
                    int xHigh = xBlock + highSubBlock * SUB_BLOCK + l;
                    low0 = low.fma(FloatVector.fromArray(FLOATS, x, xLow), low0);
                    high0 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh), high0);
                    low1 = low.fma(FloatVector.fromArray(FLOATS, x, xLow + TOKEN), low1);
                    high1 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + TOKEN), high1);
                    low2 = low.fma(FloatVector.fromArray(FLOATS, x, xLow + 2 * TOKEN), low2);
                    high2 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + 2 * TOKEN), high2);
                    low3 = low.fma(FloatVector.fromArray(FLOATS, x, xLow + 3 * TOKEN), low3);
                    high3 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + 3 * TOKEN), high3);
                    low0 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT), low0);
                    high0 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT), high0);
                    low1 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT + TOKEN), low1);
                    high1 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT + TOKEN), high1);
                    low2 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT + 2 * TOKEN), low2);
                    high2 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT + 2 * TOKEN), high2);
                    low3 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT + 3 * TOKEN), low3);
                    high3 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT + 3 * TOKEN), high3);
                }
            }
        }
        low0.add(high0).add(FloatVector.fromArray(FLOATS, acc, accOffset)).intoArray(acc, accOffset);
        low1.add(high1).add(FloatVector.fromArray(FLOATS, acc, accOffset + COUNT)).intoArray(acc, accOffset + COUNT);
        low2.add(high2).add(FloatVector.fromArray(FLOATS, acc, accOffset + 2 * COUNT))
                .intoArray(acc, accOffset + 2 * COUNT);
        low3.add(high3).add(FloatVector.fromArray(FLOATS, acc, accOffset + 3 * COUNT))
                .intoArray(acc, accOffset + 3 * COUNT);
    }

    /** {@link #addPassToTokens} for 8 tokens: low[t] and high[t] sum the low- and high-nibble sub-blocks' products. */
    private void addPassTo8Tokens(long offset, int blocks, float[] x, int xOffset, float[] acc, int accOffset) {
        FloatVector low0 = FloatVector.zero(FLOATS);
        FloatVector low1 = low0, low2 = low0, low3 = low0, low4 = low0;
        FloatVector low5 = low0, low6 = low0, low7 = low0;
        FloatVector high0 = low0, high1 = low0, high2 = low0, high3 = low0;
        FloatVector high4 = low0, high5 = low0, high6 = low0, high7 = low0;
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + (long) block * BLOCK_BYTES;
            int xBlock = xOffset + block * BLOCK_WEIGHTS;
            float d = Bytes.float16(segment, blockOffset);
            float dmin = Bytes.float16(segment, blockOffset + DMIN);
            long scalesFirst8 = KQuantScales.first8(segment, blockOffset + SCALES);
            int scalesLast4 = KQuantScales.last4(segment, blockOffset + SCALES);
            long scales = KQuantScales.scales(scalesFirst8, scalesLast4);
            long mins = KQuantScales.mins(scalesFirst8, scalesLast4);
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                float lowScale = d * ((int) (scales >>> 8 * lowSubBlock) & 0xFF);
                float lowMin = dmin * ((int) (mins >>> 8 * lowSubBlock) & 0xFF);
                float highScale = d * ((int) (scales >>> 8 * highSubBlock) & 0xFF);
                float highMin = dmin * ((int) (mins >>> 8 * highSubBlock) & 0xFF);
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                // two vectors per iteration: one iteration on 512 bits, so no inner loop is left for C2 to hoist
                // the tokens' bounds checks out of once per chunk
                for (int l = 0; l < SUB_BLOCK; l += 2 * COUNT) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    IntVector nextPacked = (IntVector) ByteVector.fromMemorySegment(BYTES, segment,
                            chunkQs + l + COUNT, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    FloatVector low = ((FloatVector) packed.and(0x0F).convert(VectorOperators.I2F, 0))
                            .fma(lowScale, -lowMin);
                    FloatVector high = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4)
                            .convert(VectorOperators.I2F, 0)).fma(highScale, -highMin);
                    FloatVector nextLow = ((FloatVector) nextPacked.and(0x0F).convert(VectorOperators.I2F, 0))
                            .fma(lowScale, -lowMin);
                    FloatVector nextHigh = ((FloatVector) nextPacked.lanewise(VectorOperators.LSHR, 4)
                            .convert(VectorOperators.I2F, 0)).fma(highScale, -highMin);
                    int xLow = xBlock + lowSubBlock * SUB_BLOCK + l;
                    int xHigh = xBlock + highSubBlock * SUB_BLOCK + l;
                    low0 = low.fma(FloatVector.fromArray(FLOATS, x, xLow), low0);
                    high0 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh), high0);
                    low1 = low.fma(FloatVector.fromArray(FLOATS, x, xLow + TOKEN), low1);
                    high1 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + TOKEN), high1);
                    low2 = low.fma(FloatVector.fromArray(FLOATS, x, xLow + 2 * TOKEN), low2);
                    high2 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + 2 * TOKEN), high2);
                    low3 = low.fma(FloatVector.fromArray(FLOATS, x, xLow + 3 * TOKEN), low3);
                    high3 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + 3 * TOKEN), high3);
                    low4 = low.fma(FloatVector.fromArray(FLOATS, x, xLow + 4 * TOKEN), low4);
                    high4 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + 4 * TOKEN), high4);
                    low5 = low.fma(FloatVector.fromArray(FLOATS, x, xLow + 5 * TOKEN), low5);
                    high5 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + 5 * TOKEN), high5);
                    low6 = low.fma(FloatVector.fromArray(FLOATS, x, xLow + 6 * TOKEN), low6);
                    high6 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + 6 * TOKEN), high6);
                    low7 = low.fma(FloatVector.fromArray(FLOATS, x, xLow + 7 * TOKEN), low7);
                    high7 = high.fma(FloatVector.fromArray(FLOATS, x, xHigh + 7 * TOKEN), high7);
                    low0 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT), low0);
                    high0 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT), high0);
                    low1 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT + TOKEN), low1);
                    high1 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT + TOKEN), high1);
                    low2 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT + 2 * TOKEN), low2);
                    high2 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT + 2 * TOKEN), high2);
                    low3 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT + 3 * TOKEN), low3);
                    high3 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT + 3 * TOKEN), high3);
                    low4 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT + 4 * TOKEN), low4);
                    high4 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT + 4 * TOKEN), high4);
                    low5 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT + 5 * TOKEN), low5);
                    high5 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT + 5 * TOKEN), high5);
                    low6 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT + 6 * TOKEN), low6);
                    high6 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT + 6 * TOKEN), high6);
                    low7 = nextLow.fma(FloatVector.fromArray(FLOATS, x, xLow + COUNT + 7 * TOKEN), low7);
                    high7 = nextHigh.fma(FloatVector.fromArray(FLOATS, x, xHigh + COUNT + 7 * TOKEN), high7);
                }
            }
        }
        low0.add(high0).add(FloatVector.fromArray(FLOATS, acc, accOffset)).intoArray(acc, accOffset);
        low1.add(high1).add(FloatVector.fromArray(FLOATS, acc, accOffset + COUNT)).intoArray(acc, accOffset + COUNT);
        low2.add(high2).add(FloatVector.fromArray(FLOATS, acc, accOffset + 2 * COUNT))
                .intoArray(acc, accOffset + 2 * COUNT);
        low3.add(high3).add(FloatVector.fromArray(FLOATS, acc, accOffset + 3 * COUNT))
                .intoArray(acc, accOffset + 3 * COUNT);
        low4.add(high4).add(FloatVector.fromArray(FLOATS, acc, accOffset + 4 * COUNT))
                .intoArray(acc, accOffset + 4 * COUNT);
        low5.add(high5).add(FloatVector.fromArray(FLOATS, acc, accOffset + 5 * COUNT))
                .intoArray(acc, accOffset + 5 * COUNT);
        low6.add(high6).add(FloatVector.fromArray(FLOATS, acc, accOffset + 6 * COUNT))
                .intoArray(acc, accOffset + 6 * COUNT);
        low7.add(high7).add(FloatVector.fromArray(FLOATS, acc, accOffset + 7 * COUNT))
                .intoArray(acc, accOffset + 7 * COUNT);
    }
}
