package dev.ggufserve.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Issue 13 lead 2: does C2's SuperWord compile a plain Java loop of paired 16-bit products
 * ({@code a[2i] * b[2i] + a[2i+1] * b[2i+1]}, the {@code MulAddS2I} node) to {@code vpmaddwd} / {@code vpdpwssd},
 * and at what rate? One thread; rows of 4096 and 3072 shorts from L1 (one row, repeated) and from L2 (64 rows).
 * Each loop form is its own method, so each compiles on its own. Results in GMAC/s (multiply-adds per ns), medians.
 *
 * <pre>
 * java -cp target/test-classes dev.ggufserve.bench.MulAddProbe [passes]
 * </pre>
 * To see whether a form vectorized: {@code -XX:CompileCommand=print,dev.ggufserve.bench.MulAddProbe::pairsReduce}
 * (without hsdis the code comes as hex; disassemble it with {@code objdump -b binary -mi386:x86-64 -D}). The plain
 * int sum loop of {@link #pairsStoreThenSum} vectorizes only with
 * {@code -XX:+UnlockDiagnosticVMOptions -XX:AutoVectorizationOverrideProfitability=2} (docs/PERFORMANCE.md).
 */
public final class MulAddProbe {

    private static final int L2_ROWS = 64;
    private static final int LANES = 16;

    private MulAddProbe() {
    }

    /** One scalar accumulator: SuperWord's reduction form. */
    static int pairsReduce(short[] a, int aOffset, short[] b, int n) {
        int acc = 0;
        for (int i = 0; i < n; i += 2) {
            acc += a[aOffset + i] * b[i] + a[aOffset + i + 1] * b[i + 1];
        }
        return acc;
    }

    /** As {@link #pairsReduce} with the pair index as the loop variable, as in OpenJDK's TestMulAddS2I. */
    static int pairsReduceByPair(short[] a, int aOffset, short[] b, int pairs) {
        int acc = 0;
        for (int i = 0; i < pairs; i++) {
            acc += a[aOffset + 2 * i] * b[2 * i] + a[aOffset + 2 * i + 1] * b[2 * i + 1];
        }
        return acc;
    }

    /** The pair sums stored to an int[] (TestMulAddS2I's store form), then added up by a second loop. */
    static int pairsStoreThenSum(short[] a, int aOffset, short[] b, int pairs, int[] products) {
        for (int i = 0; i < pairs; i++) {
            products[i] = a[aOffset + 2 * i] * b[2 * i] + a[aOffset + 2 * i + 1] * b[2 * i + 1];
        }
        int acc = 0;
        for (int i = 0; i < pairs; i++) {
            acc += products[i];
        }
        return acc;
    }

    /** The pair sums stored only (no sum): the rate of the vectorized multiply-add loop by itself. */
    static int pairsStore(short[] a, int aOffset, short[] b, int pairs, int[] products) {
        for (int i = 0; i < pairs; i++) {
            products[i] = a[aOffset + 2 * i] * b[2 * i] + a[aOffset + 2 * i + 1] * b[2 * i + 1];
        }
        return products[pairs - 1];
    }

    /** The pair sums added into an int[] as long as half the row (TestMulAddS2I's accumulating form). */
    static int pairsAccumulate(short[] a, int aOffset, short[] b, int pairs, int[] accumulators) {
        for (int i = 0; i < pairs; i++) {
            accumulators[i] += a[aOffset + 2 * i] * b[2 * i] + a[aOffset + 2 * i + 1] * b[2 * i + 1];
        }
        return accumulators[pairs - 1];
    }

    /** Per-lane accumulators: an int[16] that each group of 32 shorts adds its 16 pair sums into. */
    static int pairsLanes(short[] a, int aOffset, short[] b, int n, int[] lanes) {
        Arrays.fill(lanes, 0);
        for (int group = 0; group < n; group += 2 * LANES) {
            for (int j = 0; j < LANES; j++) {
                int at = group + 2 * j;
                lanes[j] += a[aOffset + at] * b[at] + a[aOffset + at + 1] * b[at + 1];
            }
        }
        int acc = 0;
        for (int j = 0; j < LANES; j++) {
            acc += lanes[j];
        }
        return acc;
    }

    /** int8 weights and activations in byte[] (no pairing): the widen-to-int reduction SuperWord builds. */
    static int bytesReduce(byte[] a, int aOffset, byte[] b, int n) {
        int acc = 0;
        for (int i = 0; i < n; i++) {
            acc += a[aOffset + i] * b[i];
        }
        return acc;
    }

    public static void main(String[] args) {
        int passes = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        for (int n : new int[] {4096, 3072}) {
            for (boolean l2 : new boolean[] {false, true}) {
                measure(n, l2, passes);
            }
        }
    }

    private static void measure(int n, boolean l2, int passes) {
        SplittableRandom random = new SplittableRandom(n);
        int rows = l2 ? L2_ROWS : 1;
        short[] weights = new short[rows * n];
        byte[] weightBytes = new byte[rows * n];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (short) random.nextInt(0, 16);            // a nibble, as a Q4_K weight
            weightBytes[i] = (byte) weights[i];
        }
        short[] x = new short[n];
        byte[] xBytes = new byte[n];
        for (int i = 0; i < n; i++) {
            x[i] = (short) random.nextInt(-127, 128);             // an int8 activation, as Q8_K
            xBytes[i] = (byte) x[i];
        }
        int[] products = new int[n / 2];
        int[] lanes = new int[LANES];
        int expected = pairsReduce(weights, 0, x, n);
        if (pairsReduceByPair(weights, 0, x, n / 2) != expected || pairsStoreThenSum(weights, 0, x, n / 2, products)
                != expected || pairsLanes(weights, 0, x, n, lanes) != expected
                || bytesReduce(weightBytes, 0, xBytes, n) != expected) {
            throw new IllegalStateException("the loop forms disagree");
        }
        long macsPerPass = 20_000_000L;
        int repeats = (int) Math.max(1, macsPerPass / ((long) rows * n));
        String[] names = {"reduce", "reduceByPair", "storeThenSum", "lanes[16]", "bytesReduce", "storeOnly",
            "accumulate"};
        double[][] rates = new double[names.length][passes];
        long check = 0;
        for (int p = -5; p < passes; p++) {       // 5 untimed passes: compile every form
            for (int form = 0; form < names.length; form++) {
                long start = System.nanoTime();
                for (int r = 0; r < repeats; r++) {
                    for (int row = 0; row < rows; row++) {
                        int offset = row * n;
                        check += switch (form) {
                            case 0 -> pairsReduce(weights, offset, x, n);
                            case 1 -> pairsReduceByPair(weights, offset, x, n / 2);
                            case 2 -> pairsStoreThenSum(weights, offset, x, n / 2, products);
                            case 3 -> pairsLanes(weights, offset, x, n, lanes);
                            case 4 -> bytesReduce(weightBytes, offset, xBytes, n);
                            case 5 -> pairsStore(weights, offset, x, n / 2, products);
                            default -> pairsAccumulate(weights, offset, x, n / 2, products);
                        };
                    }
                }
                long elapsed = System.nanoTime() - start;
                if (p >= 0) {
                    rates[form][p] = (double) repeats * rows * n / elapsed;
                }
            }
        }
        StringBuilder line = new StringBuilder(String.format("n=%d %s:", n, l2 ? "L2 (64 rows)" : "L1 (1 row) "));
        for (int form = 0; form < names.length; form++) {
            Arrays.sort(rates[form]);
            line.append(String.format("  %s %.1f", names[form], rates[form][passes / 2]));
        }
        System.out.println(line + " GMAC/s  (check " + check + ")");
    }
}
