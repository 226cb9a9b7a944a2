package dev.ggufserve.engine.cuda;

import dev.ggufserve.gguf.GgmlType;
import jcuda.driver.CUdeviceptr;

/**
 * A weight matrix on the device in its GGUF encoding: {@code rows} rows of {@code cols} weights, each row a
 * whole number of {@code type} blocks, rows one after another (as {@link dev.ggufserve.tensor.WeightMatrix}).
 */
record DeviceMatrix(CUdeviceptr data, GgmlType type, int rows, int cols) {

    long rowBytes() {
        return type.bytesFor(cols);
    }
}
