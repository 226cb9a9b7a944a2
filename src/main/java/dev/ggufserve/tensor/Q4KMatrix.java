package dev.ggufserve.tensor;

import static dev.ggufserve.tensor.Lanes.BYTES;
import static dev.ggufserve.tensor.Lanes.COUNT;
import static dev.ggufserve.tensor.Lanes.FLOATS;
import static dev.ggufserve.tensor.Lanes.INTS;
import static dev.ggufserve.tensor.Lanes.LE;
import static dev.ggufserve.tensor.Lanes.PAIR_BYTES;
import static dev.ggufserve.tensor.Lanes.WIDE_SHORTS;

import dev.ggufserve.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K (ggml-common.h {@code block_q4_K}): super-blocks of 256 weights in 144 bytes,
 * {@code f16 d; f16 dmin; uint8 scales[12]; uint8 qs[128]}. The 8 sub-blocks of 32 weights each have a
 * 6-bit scale sc and min m ({@link KQuantScales}); weight = d * sc * q - dmin * m with q a 4-bit value.
 * The 256 weights come in 4 chunks of 64 sharing 32 bytes of qs: byte l of chunk c holds weight
 * 64c + l (low nibble, sub-block 2c) and weight 64c + 32 + l (high nibble, sub-block 2c + 1).
 */
final class Q4KMatrix extends KQuantMatrix {

    private static final int BLOCK_WEIGHTS = 256;
    private static final int BLOCK_BYTES = 144;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QS = 16;
    private static final int CHUNKS = 4;
    private static final int SUB_BLOCK = 32;
    /** Longs as wide as {@link Lanes#BYTES}: the 8 min bytes broadcast into it convert to the first 8 float lanes
     * (repeated above them on 512 bits, where the zero padding of the sums cancels them). */
    private static final VectorSpecies<Long> MIN_LONGS = BYTES.withLanes(long.class);

    Q4KMatrix(MemorySegment segment, int rows, int cols) {
        super(segment, GgmlType.Q4_K, rows, cols);
    }

    /**
     * The row's dot product with int8 activations as llama.cpp's {@code ggml_vec_dot_q4_K_q8_K} computes it: per
     * super-block, {@code xd * (d * sum_j sc_j * sum(q * xq) - dmin * sum_j m_j * sum(xq))} over the 8 sub-blocks j,
     * xd the activations' block scale, xq their int8 quants. The min term comes from the precomputed sub-block sums
     * of xq ({@link Int8Activations#groupSums}; its 8 mins taken apart with whole-word operations,
     * {@link KQuantScales#mins}, and converted in one vector).
     *
     * <p>Each {@link Lanes#PAIR_BYTES} packed bytes are widened to 16-bit lanes once and split into low and high
     * nibbles there (x86 has 16-bit shifts, not 8-bit ones); each nibble times an int8 quant (at most 15 * 128)
     * is exact in 16 bits, and so is the sum of two such products, which the 256-bit shape adds before widening. The
     * products go to 32 bits pairwise (the low 16 bits of each int lane sign-extended by a shift pair, the high 16 by
     * an arithmetic shift), which is the {@code pmaddwd} that the Vector API lacks; the pair sums convert to floats
     * once per sub-block and are scaled by sc_j there. Every value up to the block's {@code d * ...} is an integer
     * below 2^24, so exact in floats; the rounding is the same as llama.cpp's up to the order of the final float sums.
     */
    @Override
    float dotRowInt8(long rowOffset, Int8Activations x) {
        short[] quants = x.quants;
        FloatVector total = FloatVector.zero(FLOATS);
        FloatVector minTotal = FloatVector.zero(FLOATS);
        for (int block = 0; block < blocksPerRow(); block++) {
            long blockOffset = rowOffset + (long) block * BLOCK_BYTES;
            int xBlock = block * BLOCK_WEIGHTS;
            float xScale = x.scales[block];
            float d = Bytes.float16(segment, blockOffset);
            float dmin = Bytes.float16(segment, blockOffset + DMIN);
            long scalesFirst8 = KQuantScales.first8(segment, blockOffset + SCALES);
            int scalesLast4 = KQuantScales.last4(segment, blockOffset + SCALES);
            long scales = KQuantScales.scales(scalesFirst8, scalesLast4);
            // sum over the 8 sub-blocks of m_j * sum(xq_j), in 8 float lanes, times dmin * xd
            FloatVector mins = (FloatVector) LongVector.broadcast(MIN_LONGS, KQuantScales.mins(scalesFirst8, scalesLast4))
                    .reinterpretAsBytes().convertShape(VectorOperators.B2F, FLOATS, 0);
            minTotal = mins.mul(FloatVector.fromArray(FLOATS, x.groupSums, block * KQuantScales.SUMS_STRIDE))
                    .fma(FloatVector.broadcast(FLOATS, dmin * xScale), minTotal);
            FloatVector blockSum = FloatVector.zero(FLOATS);
            for (int chunk = 0; chunk < CHUNKS; chunk++) {
                int lowSubBlock = 2 * chunk;
                int highSubBlock = 2 * chunk + 1;
                long chunkQs = blockOffset + QS + chunk * SUB_BLOCK;
                int xLow = xBlock + lowSubBlock * SUB_BLOCK;
                int xHigh = xBlock + highSubBlock * SUB_BLOCK;
                ShortVector firstPacked = (ShortVector) ByteVector.fromMemorySegment(PAIR_BYTES, segment, chunkQs, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, WIDE_SHORTS, 0);
                ShortVector lowProducts = firstPacked.and((short) 0x0F)
                        .mul(ShortVector.fromArray(WIDE_SHORTS, quants, xLow));
                ShortVector highProducts = firstPacked.lanewise(VectorOperators.LSHR, 4)
                        .mul(ShortVector.fromArray(WIDE_SHORTS, quants, xHigh));
                for (int l = 2 * COUNT; l < SUB_BLOCK; l += 2 * COUNT) {
                    ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(PAIR_BYTES, segment, chunkQs + l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, WIDE_SHORTS, 0);
                    lowProducts = lowProducts.add(packed.and((short) 0x0F)
                            .mul(ShortVector.fromArray(WIDE_SHORTS, quants, xLow + l)));
                    highProducts = highProducts.add(packed.lanewise(VectorOperators.LSHR, 4)
                            .mul(ShortVector.fromArray(WIDE_SHORTS, quants, xHigh + l)));
                }
                IntVector low = lowProducts.reinterpretAsInts();
                IntVector high = highProducts.reinterpretAsInts();
                IntVector lowPairs = low.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(low.lanewise(VectorOperators.ASHR, 16));
                IntVector highPairs = high.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(high.lanewise(VectorOperators.ASHR, 16));
                blockSum = ((FloatVector) lowPairs.convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.broadcast(FLOATS, (int) (scales >>> 8 * lowSubBlock) & 0xFF), blockSum);
                blockSum = ((FloatVector) highPairs.convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.broadcast(FLOATS, (int) (scales >>> 8 * highSubBlock) & 0xFF), blockSum);
            }
            total = blockSum.fma(FloatVector.broadcast(FLOATS, d * xScale), total);
        }
        return Lanes.sum(total.sub(minTotal));
    }

    /**
     * The 8 scales and mins taken apart once per super-block as whole words ({@link KQuantScales#scales},
     * {@link KQuantScales#mins}), and the nibbles split on int lanes (x86 has no byte shift), as in {@link #dotRowInt8}.
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
}
