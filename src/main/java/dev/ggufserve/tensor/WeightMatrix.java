package dev.ggufserve.tensor;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;

/**
 * A 2-D weight read in place from its (memory-mapped) segment: {@link #rows()} rows of {@link #cols()}
 * weights, rows stored one after another, each row a whole number of {@link GgmlType} blocks. This is
 * a GGUF tensor with dims {@code [cols, rows]}.
 *
 * <p>{@link #dot} and {@link #matVec} (one token: decode) are vectorized per type and read each weight once.
 * {@link #matMul} (several tokens: prefill, batched decoding) dequantizes each weight once and multiplies it with
 * every token: up to {@link #SMALL_TILE_TOKENS} tokens row by row ({@link #matMulSmallTile}, fused decode-and-FMA
 * kernels for the K-quants; up to {@link #MATVEC_TOKENS} as matVecs instead), wider tiles through float scratch in
 * register-blocked outer-product float kernels ({@link FloatTile}). Instances are immutable and safe to share
 * between threads.
 */
public abstract sealed class WeightMatrix
        permits F32Matrix, F16Matrix, BF16Matrix, Q8_0Matrix, Q4_0Matrix, Q4KMatrix, Q5KMatrix, Q6KMatrix {

    final MemorySegment segment;
    private final GgmlType type;
    private final int rows;
    private final int cols;
    private final long rowBytes;

    WeightMatrix(MemorySegment segment, GgmlType type, int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative shape " + rows + "x" + cols);
        }
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(
                    type + " rows must hold whole " + type.blockSize() + "-weight blocks, got " + cols + " columns");
        }
        this.rowBytes = type.bytesFor(cols);
        if (segment.byteSize() != rowBytes * rows) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " " + type + " matrix takes "
                    + rowBytes * rows + " bytes, the segment has " + segment.byteSize());
        }
        this.segment = segment;
        this.type = type;
        this.rows = rows;
        this.cols = cols;
    }

    /** Wraps a GGUF tensor with dims {@code [cols, rows]}. */
    public static WeightMatrix of(GgufTensor tensor) {
        long[] dims = tensor.dims();
        if (dims.length != 2) {
            throw new IllegalArgumentException(
                    tensor.name() + " has " + dims.length + " dimensions, a weight matrix needs 2");
        }
        return of(tensor.data(), tensor.type(), Math.toIntExact(dims[1]), Math.toIntExact(dims[0]));
    }

    /** Wraps {@code segment}, which must hold exactly {@code rows} rows of {@code cols} weights of {@code type}. */
    public static WeightMatrix of(MemorySegment segment, GgmlType type, int rows, int cols) {
        return switch (type) {
            case F32 -> new F32Matrix(segment, rows, cols);
            case F16 -> new F16Matrix(segment, rows, cols);
            case BF16 -> new BF16Matrix(segment, rows, cols);
            case Q8_0 -> new Q8_0Matrix(segment, rows, cols);
            case Q4_0 -> new Q4_0Matrix(segment, rows, cols);
            case Q4_K -> new Q4KMatrix(segment, rows, cols);
            case Q5_K -> new Q5KMatrix(segment, rows, cols);
            case Q6_K -> new Q6KMatrix(segment, rows, cols);
        };
    }

    public final int rows() {
        return rows;
    }

    public final int cols() {
        return cols;
    }

    /** The weights in their GGUF encoding (a slice of the file mapping), e.g. to upload them to a GPU as they are. */
    public final MemorySegment encodedBytes() {
        return segment;
    }

    public final GgmlType type() {
        return type;
    }

    /** The first {@code count} rows of this matrix, reading the same memory. */
    public final WeightMatrix firstRows(int count) {
        Objects.checkFromToIndex(0, count, rows);
        return of(segment.asSlice(0, rowBytes * count), type, count, cols);
    }

    /** Returns the sum over j of {@code W[row][j] * x[xOffset + j]}. */
    public final float dot(int row, float[] x, int xOffset) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(xOffset, cols, x.length);
        return dotRow(row * rowBytes, x, xOffset);
    }

    /** Writes the {@link #cols()} weights of {@code row} to {@code out[outOffset ...]}. */
    public final void dequantizeRow(int row, float[] out, int outOffset) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(outOffset, cols, out.length);
        dequantizeBlocks(row * rowBytes, blocksPerRow(), out, outOffset);
    }

    /**
     * Sets {@code out[outOffset + r] = dot(r, x, xOffset)} for each row r in {@code [rowFrom, rowTo)}. Callers
     * split the rows of one product across threads by giving each a disjoint range.
     */
    public final void matVec(float[] x, int xOffset, float[] out, int outOffset, int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, rows);
        Objects.checkFromIndexSize(xOffset, cols, x.length);
        if (rowFrom < rowTo) {
            Objects.checkFromToIndex(outOffset + rowFrom, outOffset + rowTo, out.length);
            float[] sums = activationSums(x, xOffset);
            if (sums == null) {
                for (int row = rowFrom; row < rowTo; row++) {
                    out[outOffset + row] = dotRow(row * rowBytes, x, xOffset);
                }
            } else {
                for (int row = rowFrom; row < rowTo; row++) {
                    out[outOffset + row] = dotRow(row * rowBytes, x, xOffset, sums);
                }
            }
        }
    }

    /**
     * Sums of {@code x[xOffset ...]} that {@link #dotRow(long, float[], int, float[])} needs, computed once per
     * {@link #matVec} call into a per-thread buffer ({@link #groupSumsBuffer}); null (the default) for types that need none.
     * Kept out of a separate per-row loop method: one more call level puts the kernels past C2's inlining depth.
     */
    float[] activationSums(float[] x, int xOffset) {
        return null;
    }

    /** {@link #dotRow(long, float[], int)} given {@link #activationSums}; only called where those are non-null. */
    float dotRow(long rowOffset, float[] x, int xOffset, float[] sums) {
        return dotRow(rowOffset, x, xOffset);
    }

    /** One reusable buffer per thread for {@link #activationSums}. */
    private static final ThreadLocal<float[]> GROUP_SUMS = ThreadLocal.withInitial(() -> new float[512]);

    /** This thread's buffer of at least {@code length} floats for {@link #activationSums}. */
    static float[] groupSumsBuffer(int length) {
        float[] buffer = GROUP_SUMS.get();
        if (buffer.length < length) {
            buffer = new float[length];
            GROUP_SUMS.set(buffer);
        }
        return buffer;
    }

    /** Columns per pass of {@link #matMul}: a multiple of every block size; one row group's dequantized pass
     * ({@link FloatTile#ROWS} x 1024 floats = 24 KB) stays in L1 while every token vector is multiplied with it, and
     * a 128-token tile's packed activations for one pass (512 KB) stay in L2 while every row group of a row block
     * uses them. */
    static final int COLUMN_PASS = 1024;

    /** Rows whose outputs {@link #matMul} accumulates across all column passes before writing them out: 16 row
     * groups, so each pass of the packed activations is read from L2 16 times per trip from L3, and the block's
     * accumulators (96 rows x 128 tokens = 48 KB) stay in L2. */
    static final int ROW_BLOCK = 16 * FloatTile.ROWS;

    /** The float scratch one thread needs for {@link #matMul} of up to {@code maxTokens} tokens of up to
     * {@code maxCols} columns. */
    public static int matMulScratchSize(int maxTokens, int maxCols) {
        int width = paddedTokens(maxTokens);
        int wide = maxCols * width + ROW_BLOCK * width + FloatTile.ROWS * COLUMN_PASS;
        int smallWidth = smallTileWidth(Math.min(maxTokens, SMALL_TILE_TOKENS));
        int small = smallTileActivations(smallWidth, maxCols) + SMALL_TILE_PASS
                + SMALL_TILE_ROWS * smallWidth * Lanes.COUNT;
        return Math.max(wide, small);
    }

    /**
     * Token counts up to which {@link #matMul} runs {@link #matMulSmallTile}: the steps of batched decoding with a
     * few sequences, and short prompts. There the outer-product kernels' 16-token vectors are mostly padding
     * (Q4_K 4096 x 3072, one thread, microseconds per token per million weights: 2 tokens 86-118 small-tile against
     * 170 wide, 4 tokens 46-61 against 87-93, 8 tokens 34-48 against 44-46; with the fused Q4_K kernels, 16384 x
     * 3072: 4 tokens 47, 8 tokens 39), and at 16 the wide kernels are ahead (19-22), so wider tiles take them
     * (docs/PERFORMANCE.md). Also the width of the widest fused kernel ({@link #smallTileWidth}).
     */
    static final int SMALL_TILE_TOKENS = 8;
    /**
     * Token counts up to which {@link #matMul} runs {@link #matVec} per token: at 2 tokens that is faster than the
     * small tiles (68-77 against 86-118 microseconds per token per million weights, same bench as above; the fused
     * Q4_K 4-token kernel, which 2 tokens would run with 2 padding tokens, costs 47 x 4 / 2 = 94 per token), whose
     * decoding is shared by too few tokens to pay for itself.
     */
    static final int MATVEC_TOKENS = 2;
    /** Columns of one row that {@link #matMulSmallTile} multiplies at a time: every token's activations for the
     * pass (8 x 2 KB, contiguous, so in distinct L1 sets) stay in L1 while a group of rows is multiplied with them.
     * Also the distance between two tokens' activations in the small tile's pass-major copy of them, so a fused
     * kernel addresses token t's at the constant offset t * SMALL_TILE_PASS from one index rather than through a
     * base register per token (which C2 partly spilled; docs/PERFORMANCE.md). */
    static final int SMALL_TILE_PASS = 512;
    /** Rows whose per-token accumulators {@link #matMulSmallTile} keeps across the column passes. */
    static final int SMALL_TILE_ROWS = 8;

    /** Floats of the small tile's copy of {@code width} tokens' activations: per pass, each token's piece of it. */
    private static int smallTileActivations(int width, int cols) {
        return (cols + SMALL_TILE_PASS - 1) / SMALL_TILE_PASS * width * SMALL_TILE_PASS;
    }

    /**
     * The tokens a small tile of {@code tokens} (at most {@link #SMALL_TILE_TOKENS}) computes: 4 or 8, the widths
     * of the fused kernels ({@link #addPassToTokens}); the activations of the tokens above {@code tokens} are zeros.
     * A padded token costs one FMA per weight vector, less than decoding the weights once more for it.
     */
    static int smallTileWidth(int tokens) {
        return tokens <= 4 ? 4 : 8;
    }

    /** The small-tile kernels run whole pairs of vectors; rows of other lengths (plain float types only, since
     * every quantized block holds a multiple of 32 weights) take the wide path. */
    private static final int SMALL_TILE_ALIGNMENT = 32;

    /**
     * {@link #matMul} for a few tokens: each row's weights are multiplied with every token's activations in passes
     * of {@link #SMALL_TILE_PASS} columns ({@link #addPassToTokens}), decoded once per step for all the tokens, so a
     * step of 8 sequences costs one decoding of the weights instead of 8 (as in matVec, the decoding is most of a
     * row's cost). The tokens' activations for one pass stay in L1 while a group of {@link #SMALL_TILE_ROWS} rows,
     * read once in address order first ({@link #touch}), is multiplied with them; the group's per-token vector sums
     * stay in scratch across the passes and are summed to floats at the end.
     */
    private void matMulSmallTile(float[] x, int xStride, int tokens, float[] out, int outOffset, int outStride,
            int rowFrom, int rowTo, float[] scratch) {
        // scratch: activations pass-major (per pass, width pieces of SMALL_TILE_PASS, zeros above tokens) | a
        // decoded pass for the generic addPassToTokens | the row group's accumulators (width per row)
        int width = smallTileWidth(tokens);
        int decoded = smallTileActivations(width, cols);
        int accumulators = decoded + SMALL_TILE_PASS;
        for (int column = 0; column < cols; column += SMALL_TILE_PASS) {
            int length = Math.min(SMALL_TILE_PASS, cols - column);
            int passActivations = column / SMALL_TILE_PASS * width * SMALL_TILE_PASS;
            for (int t = 0; t < tokens; t++) {
                System.arraycopy(x, t * xStride + column, scratch, passActivations + t * SMALL_TILE_PASS, length);
            }
            Arrays.fill(scratch, passActivations + tokens * SMALL_TILE_PASS, passActivations + width * SMALL_TILE_PASS,
                    0f);
        }
        int blockSize = type.blockSize();
        long blockBytes = type.bytesFor(blockSize);
        long touched = 0;
        for (int group = rowFrom; group < rowTo; group += SMALL_TILE_ROWS) {
            int groupRows = Math.min(SMALL_TILE_ROWS, rowTo - group);
            touched += touch(group * rowBytes, groupRows * rowBytes);
            Arrays.fill(scratch, accumulators, accumulators + groupRows * width * Lanes.COUNT, 0f);
            for (int column = 0; column < cols; column += SMALL_TILE_PASS) {
                int length = Math.min(SMALL_TILE_PASS, cols - column);
                long passOffset = column / blockSize * blockBytes;
                int passActivations = column / SMALL_TILE_PASS * width * SMALL_TILE_PASS;
                for (int i = 0; i < groupRows; i++) {
                    addPassToTokens((group + i) * rowBytes + passOffset, length / blockSize, scratch,
                            passActivations, tokens, scratch, accumulators + i * width * Lanes.COUNT, scratch,
                            decoded);
                }
            }
            for (int i = 0; i < groupRows; i++) {
                for (int t = 0; t < tokens; t++) {
                    int sums = accumulators + (i * width + t) * Lanes.COUNT;
                    out[outOffset + t * outStride + group + i] =
                            Lanes.sum(FloatVector.fromArray(Lanes.FLOATS, scratch, sums));
                }
            }
        }
        touchSink = touched;
    }

    /**
     * One step of {@link #matMulSmallTile}: for each token t below {@code tokens}, adds to the lanes of
     * {@code acc[accOffset + t * COUNT ...]} the products of the {@code blocks} blocks of one row at byte
     * {@code offset} with {@code x[xOffset + t * SMALL_TILE_PASS ...]}. {@code x} holds {@link #smallTileWidth}
     * tokens' pieces, the ones from {@code tokens} on zeros, and {@code acc} room for as many tokens, so a fused
     * kernel may run its whole width. This generic version decodes the blocks into {@code buffer[bufferOffset ...]}
     * and multiplies them from there, 4 tokens per kernel call ({@link FloatTile#addRowTo4Tokens}); the K-quant
     * types override it with kernels that multiply each decoded weight vector straight from its register.
     */
    void addPassToTokens(long offset, int blocks, float[] x, int xOffset, int tokens, float[] acc, int accOffset,
            float[] buffer, int bufferOffset) {
        int length = blocks * type.blockSize();
        dequantizeBlocks(offset, blocks, buffer, bufferOffset);
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            FloatTile.addRowTo4Tokens(buffer, bufferOffset, x, xOffset + t * SMALL_TILE_PASS, SMALL_TILE_PASS, length,
                    acc, accOffset + t * Lanes.COUNT);
        }
        for (; t < tokens; t++) {
            FloatTile.addRowTo1Token(buffer, bufferOffset, x, xOffset + t * SMALL_TILE_PASS, length, acc,
                    accOffset + t * Lanes.COUNT);
        }
    }

    /** Tokens rounded up to whole vectors: the packed activations' values per column. */
    private static int paddedTokens(int tokens) {
        return (tokens + Lanes.COUNT - 1) / Lanes.COUNT * Lanes.COUNT;
    }

    /**
     * The product of a tile of {@code tokens} activation rows with rows {@code [rowFrom, rowTo)}: for each token t,
     * {@code out[outOffset + t * outStride + r] = dot(r, x, t * xStride)}. Callers split the rows across threads,
     * each with its own {@code scratch} of {@link #matMulScratchSize} floats.
     *
     * <p>The activations are first packed transposed into scratch (per column, the tokens' values side by side,
     * padded with zeros to whole vectors), as the outer-product kernels of {@link FloatTile} need. Rows then go in
     * blocks of {@link #ROW_BLOCK}; for each block, columns in passes of {@link #COLUMN_PASS}, and in each pass every
     * group of {@link FloatTile#ROWS} rows is dequantized once into scratch and multiplied with all token vectors.
     * So each weight is decoded once per tile rather than once per token, and the tile's activations for a pass
     * stay in cache. Before a block is dequantized its weights are read once in address order ({@link #touch}). The
     * block's sums accumulate in scratch and are written to {@code out} at the end.
     */
    public final void matMul(float[] x, int xStride, int tokens, float[] out, int outOffset, int outStride,
            int rowFrom, int rowTo, float[] scratch) {
        Objects.checkFromToIndex(rowFrom, rowTo, rows);
        if (tokens <= 0 || rowFrom == rowTo) {
            return;
        }
        Objects.checkFromIndexSize(0, (tokens - 1) * xStride + cols, x.length);
        Objects.checkFromToIndex(outOffset + rowFrom, outOffset + (tokens - 1) * outStride + rowTo, out.length);
        Objects.checkFromIndexSize(0, matMulScratchSize(tokens, cols), scratch.length);
        if (tokens <= MATVEC_TOKENS) {
            for (int t = 0; t < tokens; t++) {
                matVec(x, t * xStride, out, outOffset + t * outStride, rowFrom, rowTo);
            }
            return;
        }
        if (tokens <= SMALL_TILE_TOKENS && cols % SMALL_TILE_ALIGNMENT == 0) {
            matMulSmallTile(x, xStride, tokens, out, outOffset, outStride, rowFrom, rowTo, scratch);
            return;
        }
        int width = paddedTokens(tokens);
        // scratch: packed activations (cols x width) | the row block's sums (ROW_BLOCK x width) | a dequantized group
        int sums = cols * width;
        int group = sums + ROW_BLOCK * width;
        for (int j = 0; j < cols; j++) {
            for (int t = 0; t < tokens; t++) {
                scratch[j * width + t] = x[t * xStride + j];
            }
            Arrays.fill(scratch, j * width + tokens, (j + 1) * width, 0f);
        }
        int blockSize = type.blockSize();
        long blockBytes = type.bytesFor(blockSize);
        long touched = 0;
        for (int block = rowFrom; block < rowTo; block += ROW_BLOCK) {
            int blockRows = Math.min(ROW_BLOCK, rowTo - block);
            touched += touch(block * rowBytes, blockRows * rowBytes);
            Arrays.fill(scratch, sums, sums + blockRows * width, 0f);
            for (int column = 0; column < cols; column += COLUMN_PASS) {
                int length = Math.min(COLUMN_PASS, cols - column);
                long passOffset = column / blockSize * blockBytes;
                for (int first = 0; first < blockRows; first += FloatTile.ROWS) {
                    int groupRows = Math.min(FloatTile.ROWS, blockRows - first);
                    for (int i = 0; i < groupRows; i++) {
                        dequantizeBlocks((block + first + i) * rowBytes + passOffset, length / blockSize, scratch,
                                group + i * length);
                    }
                    // a partial last group multiplies zero rows, whose sums are never written out
                    Arrays.fill(scratch, group + groupRows * length, group + FloatTile.ROWS * length, 0f);
                    int groupSums = sums + first * width;
                    int v = 0;
                    for (; v + FloatTile.VECTORS * Lanes.COUNT <= width; v += FloatTile.VECTORS * Lanes.COUNT) {
                        FloatTile.add6x4(scratch, group, length, scratch, column * width + v, width, length,
                                scratch, groupSums + v);
                    }
                    for (; v < width; v += Lanes.COUNT) {
                        FloatTile.add6x1(scratch, group, length, scratch, column * width + v, width, length,
                                scratch, groupSums + v);
                    }
                }
            }
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < blockRows; r++) {
                    out[outOffset + t * outStride + block + r] = scratch[sums + r * width + t];
                }
            }
        }
        touchSink = touched;
    }

    /** Where {@link #touch} results go, so the JIT cannot drop the reads. */
    @SuppressWarnings("unused")
    private static volatile long touchSink;

    /**
     * Reads one byte of every cache line of {@code [offset, offset + bytes)} in address order, which brings them
     * into the caches at the speed of a sequential stream (the hardware prefetcher runs ahead of it). matMul reads a
     * row block's weights pass by pass, a short piece of each row at a time; from memory that pattern stalls on
     * every few lines, because the prefetcher never sees a long enough run.
     */
    private long touch(long offset, long bytes) {
        long sum = 0;
        for (long line = 0; line < bytes; line += 64) {
            sum += segment.get(ValueLayout.JAVA_BYTE, offset + line);
        }
        return sum;
    }

    /** The dot product of the row starting at byte {@code rowOffset} with {@code x[xOffset ...]}; indices checked. */
    abstract float dotRow(long rowOffset, float[] x, int xOffset);

    /** Decodes {@code blocks} blocks starting at byte {@code offset} into {@code out[outOffset ...]}; indices checked. */
    abstract void dequantizeBlocks(long offset, int blocks, float[] out, int outOffset);

    /** Number of blocks in one row. */
    final int blocksPerRow() {
        return cols / type.blockSize();
    }
}
