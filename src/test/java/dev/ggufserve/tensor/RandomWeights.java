package dev.ggufserve.tensor;

import dev.ggufserve.gguf.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/** Random tensor bytes of a type: random quants, with every f16 scale field set to a finite value. */
final class RandomWeights {

    private RandomWeights() {
    }

    static byte[] bytes(GgmlType type, int count, Random random) {
        byte[] bytes = new byte[Math.toIntExact(type.bytesFor(count))];
        random.nextBytes(bytes);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int blocks = count / type.blockSize();
        for (int block = 0; block < blocks; block++) {
            int at = block * type.blockBytes();
            switch (type) {
                case F32 -> buffer.putFloat(at, randomWeight(random));
                case F16 -> buffer.putShort(at, Float.floatToFloat16(randomWeight(random)));
                case BF16 -> buffer.putShort(at, (short) (Float.floatToIntBits(randomWeight(random)) >>> 16));
                case Q8_0, Q4_0 -> buffer.putShort(at, randomScale(random));
                case Q4_K, Q5_K -> {
                    buffer.putShort(at, randomScale(random));
                    buffer.putShort(at + 2, randomScale(random));
                }
                case Q6_K -> buffer.putShort(at + 208, randomScale(random));
            }
        }
        return bytes;
    }

    static float[] floats(int count, Random random) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = randomWeight(random);
        }
        return values;
    }

    private static float randomWeight(Random random) {
        return (float) random.nextGaussian();
    }

    /** A half-precision block scale of the size quantizers produce, either sign. */
    private static short randomScale(Random random) {
        return Float.floatToFloat16((float) ((random.nextDouble() * 2 - 1) * 0.02));
    }
}
