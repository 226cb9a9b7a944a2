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
 * Q5_K (ggml-common.h {@code block_q5_K}): super-blocks of 256 weights in 176 bytes,
 * {@code f16 d; f16 dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]}. Laid out as {@link Q4KMatrix}
 * with 5-bit values: for chunk c, byte l of qh holds the fifth bit (value 16) of weight 64c + l in bit 2c
 * and of weight 64c + 32 + l in bit 2c + 1.
 */
final class Q5KMatrix extends WeightMatrix {

    private static final int BLOCK_WEIGHTS = 256;
    private static final int BLOCK_BYTES = 176;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QH = 16;
    private static final int QS = 48;
    private static final int CHUNKS = 4;
    private static final int SUB_BLOCK = 32;
    /** The value of a weight's fifth bit. */
    private static final byte FIFTH_BIT = 16;
    /** The distance between two tokens' activations in the small tile's pass-major copy. */
    private static final int TOKEN = WeightMatrix.SMALL_TILE_PASS;
    /** As in {@link Q4KMatrix}: longs as wide as {@link Lanes#BYTES}, for the 8 min bytes. */
    private static final VectorSpecies<Long> MIN_LONGS = BYTES.withLanes(long.class);

    Q5KMatrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.Q5_K, rows, cols);
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
     * As {@link Q4KMatrix}'s kernel (min term from the precomputed sub-block sums of x, one vector per super-block),
     * with each nibble's fifth bit taken from qh in int lanes: qh shifted right by 2 * chunk puts the low sub-block's
     * bit at bit 0 and the high one's at bit 1, which shifts left by 4 and 3 move to the value 16.
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
            FloatVector mins = (FloatVector) LongVector.broadcast(MIN_LONGS, KQuantScales.mins(scalesFirst8, scalesLast4))
                    .reinterpretAsBytes().convertShape(VectorOperators.B2F, FLOATS, 0);
            minSum = mins.mul(FloatVector.fromArray(FLOATS, sums, block * KQuantScales.SUMS_STRIDE))
                    .fma(FloatVector.broadcast(FLOATS, dmin), minSum);
            long qh = blockOffset + QH;
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                float lowScale = d * ((int) (scales >>> 8 * lowSubBlock) & 0xFF);
                float highScale = d * ((int) (scales >>> 8 * highSubBlock) & 0xFF);
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                int xLow = xBlock + lowSubBlock * SUB_BLOCK;
                int xHigh = xBlock + highSubBlock * SUB_BLOCK;
                FloatVector lowDot = FloatVector.zero(FLOATS);
                FloatVector highDot = FloatVector.zero(FLOATS);
                for (int l = 0; l < SUB_BLOCK; l += COUNT) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    IntVector highBits = ((IntVector) ByteVector.fromMemorySegment(BYTES, segment, qh + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0))
                            .lanewise(VectorOperators.LSHR, lowSubBlock);
                    FloatVector low = (FloatVector) packed.and(0x0F)
                            .or(highBits.lanewise(VectorOperators.LSHL, 4).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0);
                    FloatVector high = (FloatVector) packed.lanewise(VectorOperators.LSHR, 4)
                            .or(highBits.lanewise(VectorOperators.LSHL, 3).and(FIFTH_BIT))
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

    /** As {@link Q4KMatrix}'s: scales and mins taken apart once per super-block, and the nibbles with their fifth
     * bits assembled in int lanes as in {@link #dotRow}. */
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
            long qh = blockOffset + QH;
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
                    IntVector highBits = ((IntVector) ByteVector.fromMemorySegment(BYTES, segment, qh + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0))
                            .lanewise(VectorOperators.LSHR, lowSubBlock);
                    ((FloatVector) packed.and(0x0F)
                            .or(highBits.lanewise(VectorOperators.LSHL, 4).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0)).fma(lowScale, -lowMin).intoArray(out, outLow + l);
                    ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4)
                            .or(highBits.lanewise(VectorOperators.LSHL, 3).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0)).fma(highScale, -highMin).intoArray(out, outHigh + l);
                }
            }
        }
    }

    /**
     * Fused small-tile kernels, built as {@link Q4KMatrix}'s: each vector of 16 weights is decoded as in
     * {@link #dequantizeBlocks} (fifth bits from qh in int lanes, scale and min in one FMA) and FMAed from its
     * register into every token's accumulators, never stored; 4 or 8 tokens per call
     * ({@link WeightMatrix#smallTileWidth}: the activations of padding tokens are zeros). Measured, one thread,
     * microseconds per token per million weights, 9216 x 3072: 8 tokens 37-44 against
     * 53-58 decoding into a buffer, 4 tokens 53-55 against 73-84, 3 tokens 73 against 106-108 (docs/PERFORMANCE.md).
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
        FloatVector low1 = low0, low2 = low0, low3 = low0, high0 = low0;
        FloatVector high1 = low0, high2 = low0, high3 = low0;
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + (long) block * BLOCK_BYTES;
            int xBlock = xOffset + block * BLOCK_WEIGHTS;
            float d = Bytes.float16(segment, blockOffset);
            float dmin = Bytes.float16(segment, blockOffset + DMIN);
            long scalesFirst8 = KQuantScales.first8(segment, blockOffset + SCALES);
            int scalesLast4 = KQuantScales.last4(segment, blockOffset + SCALES);
            long scales = KQuantScales.scales(scalesFirst8, scalesLast4);
            long mins = KQuantScales.mins(scalesFirst8, scalesLast4);
            long qh = blockOffset + QH;
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                float lowScale = d * ((int) (scales >>> 8 * lowSubBlock) & 0xFF);
                float lowMin = dmin * ((int) (mins >>> 8 * lowSubBlock) & 0xFF);
                float highScale = d * ((int) (scales >>> 8 * highSubBlock) & 0xFF);
                float highMin = dmin * ((int) (mins >>> 8 * highSubBlock) & 0xFF);
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                // two vectors per iteration: one iteration on 512 bits, so no inner loop is left for C2 to hoist
                // the tokens' bounds checks out of once per chunk (as in Q4KMatrix's kernels)
                for (int l = 0; l < SUB_BLOCK; l += 2 * COUNT) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    IntVector highBits = ((IntVector) ByteVector.fromMemorySegment(BYTES, segment, qh + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0))
                            .lanewise(VectorOperators.LSHR, lowSubBlock);
                    FloatVector low = ((FloatVector) packed.and(0x0F)
                            .or(highBits.lanewise(VectorOperators.LSHL, 4).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0)).fma(lowScale, -lowMin);
                    FloatVector high = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4)
                            .or(highBits.lanewise(VectorOperators.LSHL, 3).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0)).fma(highScale, -highMin);
                    IntVector nextPacked = (IntVector) ByteVector.fromMemorySegment(BYTES, segment,
                            chunkQs + l + COUNT, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    IntVector nextHighBits = ((IntVector) ByteVector.fromMemorySegment(BYTES, segment,
                            qh + l + COUNT, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0))
                            .lanewise(VectorOperators.LSHR, lowSubBlock);
                    FloatVector nextLow = ((FloatVector) nextPacked.and(0x0F)
                            .or(nextHighBits.lanewise(VectorOperators.LSHL, 4).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0)).fma(lowScale, -lowMin);
                    FloatVector nextHigh = ((FloatVector) nextPacked.lanewise(VectorOperators.LSHR, 4)
                            .or(nextHighBits.lanewise(VectorOperators.LSHL, 3).and(FIFTH_BIT))
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
        FloatVector low5 = low0, low6 = low0, low7 = low0, high0 = low0;
        FloatVector high1 = low0, high2 = low0, high3 = low0, high4 = low0;
        FloatVector high5 = low0, high6 = low0, high7 = low0;
        for (int block = 0; block < blocks; block++) {
            long blockOffset = offset + (long) block * BLOCK_BYTES;
            int xBlock = xOffset + block * BLOCK_WEIGHTS;
            float d = Bytes.float16(segment, blockOffset);
            float dmin = Bytes.float16(segment, blockOffset + DMIN);
            long scalesFirst8 = KQuantScales.first8(segment, blockOffset + SCALES);
            int scalesLast4 = KQuantScales.last4(segment, blockOffset + SCALES);
            long scales = KQuantScales.scales(scalesFirst8, scalesLast4);
            long mins = KQuantScales.mins(scalesFirst8, scalesLast4);
            long qh = blockOffset + QH;
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                float lowScale = d * ((int) (scales >>> 8 * lowSubBlock) & 0xFF);
                float lowMin = dmin * ((int) (mins >>> 8 * lowSubBlock) & 0xFF);
                float highScale = d * ((int) (scales >>> 8 * highSubBlock) & 0xFF);
                float highMin = dmin * ((int) (mins >>> 8 * highSubBlock) & 0xFF);
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                // two vectors per iteration: one iteration on 512 bits, so no inner loop is left for C2 to hoist
                // the tokens' bounds checks out of once per chunk (as in Q4KMatrix's kernels)
                for (int l = 0; l < SUB_BLOCK; l += 2 * COUNT) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    IntVector highBits = ((IntVector) ByteVector.fromMemorySegment(BYTES, segment, qh + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0))
                            .lanewise(VectorOperators.LSHR, lowSubBlock);
                    FloatVector low = ((FloatVector) packed.and(0x0F)
                            .or(highBits.lanewise(VectorOperators.LSHL, 4).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0)).fma(lowScale, -lowMin);
                    FloatVector high = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4)
                            .or(highBits.lanewise(VectorOperators.LSHL, 3).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0)).fma(highScale, -highMin);
                    IntVector nextPacked = (IntVector) ByteVector.fromMemorySegment(BYTES, segment,
                            chunkQs + l + COUNT, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
                    IntVector nextHighBits = ((IntVector) ByteVector.fromMemorySegment(BYTES, segment,
                            qh + l + COUNT, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0))
                            .lanewise(VectorOperators.LSHR, lowSubBlock);
                    FloatVector nextLow = ((FloatVector) nextPacked.and(0x0F)
                            .or(nextHighBits.lanewise(VectorOperators.LSHL, 4).and(FIFTH_BIT))
                            .convert(VectorOperators.I2F, 0)).fma(lowScale, -lowMin);
                    FloatVector nextHigh = ((FloatVector) nextPacked.lanewise(VectorOperators.LSHR, 4)
                            .or(nextHighBits.lanewise(VectorOperators.LSHL, 3).and(FIFTH_BIT))
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
