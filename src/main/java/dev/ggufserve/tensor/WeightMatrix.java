package dev.ggufserve.tensor;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * A 2-D weight read in place from its (memory-mapped) segment: {@link #rows()} rows of {@link #cols()}
 * weights, rows stored one after another, each row a whole number of {@link GgmlType} blocks. This is
 * a GGUF tensor with dims {@code [cols, rows]}.
 *
 * <p>{@link #dot} and {@link #matVec} (one token: decode) are vectorized per type and read each weight once.
 * {@link #matMul} (a tile of tokens: prefill) dequantizes each weight once into float scratch and multiplies it
 * with every token of the tile in a register-blocked float kernel ({@link FloatTile}). Instances are immutable and
 * safe to share between threads.
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

    /** Columns per pass of {@link #matMul}: a multiple of every block size, small enough that the tile's
     * activations for one pass (64 tokens x 1024 floats = 256 KB) stay in a Zen 4 core's 1 MB L2 while every row
     * group of the slice is multiplied with them, and long enough that the 16 fixed-order lane sums ending each
     * 4x4 kernel call ({@link Lanes#sum}) stay a small share of its work. */
    static final int COLUMN_PASS = 1024;

    /** The float scratch one thread needs for {@link #matMul}. */
    public static int matMulScratchSize() {
        return FloatTile.ROWS * COLUMN_PASS + FloatTile.LANES_SCRATCH;
    }

    /**
     * The product of a tile of {@code tokens} activation rows with rows {@code [rowFrom, rowTo)}: for each token t,
     * {@code out[outOffset + t * outStride + r] = dot(r, x, t * xStride)}. Callers split the rows across threads,
     * each with its own {@code scratch} of {@link #matMulScratchSize()} floats.
     *
     * <p>Columns go in passes of {@link #COLUMN_PASS}; in each pass every group of {@link FloatTile#ROWS} rows is
     * dequantized once into scratch, then multiplied with the tokens 4 at a time. So each weight is decoded once per
     * tile rather than once per token, and the tile's activations for a pass stay in cache.
     */
    public final void matMul(float[] x, int xStride, int tokens, float[] out, int outOffset, int outStride,
            int rowFrom, int rowTo, float[] scratch) {
        Objects.checkFromToIndex(rowFrom, rowTo, rows);
        if (tokens <= 0 || rowFrom == rowTo) {
            return;
        }
        Objects.checkFromIndexSize(0, (tokens - 1) * xStride + cols, x.length);
        Objects.checkFromToIndex(outOffset + rowFrom, outOffset + (tokens - 1) * outStride + rowTo, out.length);
        Objects.checkFromIndexSize(0, matMulScratchSize(), scratch.length);
        for (int t = 0; t < tokens; t++) {
            Arrays.fill(out, outOffset + t * outStride + rowFrom, outOffset + t * outStride + rowTo, 0f);
        }
        int blockSize = type.blockSize();
        long blockBytes = type.bytesFor(blockSize);
        // scratch holds the dequantized rows of a group, then the 4x4 kernel's lane sums
        int lanesOffset = FloatTile.ROWS * COLUMN_PASS;
        for (int column = 0; column < cols; column += COLUMN_PASS) {
            int length = Math.min(COLUMN_PASS, cols - column);
            long passOffset = column / blockSize * blockBytes;
            for (int row = rowFrom; row < rowTo; row += FloatTile.ROWS) {
                int groupRows = Math.min(FloatTile.ROWS, rowTo - row);
                for (int i = 0; i < groupRows; i++) {
                    dequantizeBlocks((row + i) * rowBytes + passOffset, length / blockSize, scratch, i * length);
                }
                int t = 0;
                if (groupRows == FloatTile.ROWS && length % Lanes.COUNT == 0) {
                    for (; t + FloatTile.TOKENS <= tokens; t += FloatTile.TOKENS) {
                        FloatTile.add4x4(scratch, 0, length, x, t * xStride + column, xStride,
                                out, outOffset + t * outStride + row, outStride, scratch, lanesOffset);
                    }
                }
                for (; t < tokens; t++) {
                    for (int i = 0; i < groupRows; i++) {
                        out[outOffset + t * outStride + row + i] +=
                                FloatTile.dot(scratch, i * length, x, t * xStride + column, length);
                    }
                }
            }
        }
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
