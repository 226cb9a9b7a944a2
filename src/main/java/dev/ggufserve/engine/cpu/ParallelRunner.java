package dev.ggufserve.engine.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits a range of independent work items (matrix rows, attention heads) across a fixed set of
 * threads: the calling thread takes the first slice, pool threads the others.
 */
final class ParallelRunner implements AutoCloseable {

    /** Work on one slice {@code [from, to)} of the range. */
    @FunctionalInterface
    interface RangeTask {
        void run(int from, int to);
    }

    private final int threads;
    private final ExecutorService pool;

    ParallelRunner(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        AtomicInteger counter = new AtomicInteger();
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, runnable -> {
            Thread thread = new Thread(runnable, "llm-cpu-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, count)} in up to {@link #threads()} slices, or on the caller alone
     * when the work is too small to be worth handing out ({@code costPerItem * count} below a threshold).
     */
    void forRange(int count, long costPerItem, RangeTask task) {
        int slices = (int) Math.min(threads, Math.max(1, count * costPerItem / MIN_WORK_PER_SLICE));
        slices = Math.min(slices, count);
        if (slices <= 1) {
            task.run(0, count);
            return;
        }
        List<Future<?>> others = new ArrayList<>(slices - 1);
        for (int s = 1; s < slices; s++) {
            int from = (int) ((long) count * s / slices);
            int to = (int) ((long) count * (s + 1) / slices);
            others.add(pool.submit(() -> task.run(from, to)));
        }
        task.run(0, (int) ((long) count / slices));
        for (Future<?> other : others) {
            awaitSlice(other);
        }
    }

    private static void awaitSlice(Future<?> slice) {
        try {
            slice.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a worker slice", e);
        }
    }

    /** Below this many multiply-adds a slice costs more to hand out than to compute. */
    private static final long MIN_WORK_PER_SLICE = 32 * 1024;

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
