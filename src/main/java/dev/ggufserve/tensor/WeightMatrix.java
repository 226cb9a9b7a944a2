package dev.ggufserve.tensor;

import dev.ggufserve.gguf.GgmlType;
import dev.ggufserve.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A 2-D weight read in place from its (memory-mapped) segment: {@link #rows()} rows of {@link #cols()}
 * weights, rows stored one after another, each row a whole number of {@link GgmlType} blocks. This is
 * a GGUF tensor with dims {@code [cols, rows]}.
 *
 * <p>{@link #dot} is the hot loop of inference and is vectorized per type; {@link #dequantizeRow} is a
 * plain scalar decoding of the block layout and serves as its reference. Instances are immutable and
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

    public final GgmlType type() {
        return type;
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
        dequantizeRowAt(row * rowBytes, out, outOffset);
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
        }
        for (int row = rowFrom; row < rowTo; row++) {
            out[outOffset + row] = dotRow(row * rowBytes, x, xOffset);
        }
    }

    /** The dot product of the row starting at byte {@code rowOffset} with {@code x[xOffset ...]}; indices checked. */
    abstract float dotRow(long rowOffset, float[] x, int xOffset);

    /** Decodes the row starting at byte {@code rowOffset} into {@code out[outOffset ...]}; indices checked. */
    abstract void dequantizeRowAt(long rowOffset, float[] out, int outOffset);

    /** Number of blocks in one row. */
    final int blocksPerRow() {
        return cols / type.blockSize();
    }
}
