package dev.ggufserve.engine.cpu;

import java.util.concurrent.locks.LockSupport;

/**
 * Splits a range of independent work items (matrix rows, attention heads) across a fixed set of threads: the
 * calling thread takes the first slice, persistent worker threads the others.
 *
 * <p>A token of decode runs about 160 parallel regions of well under a millisecond each, so handing out work must
 * cost microseconds, not the tens of microseconds of an executor's futures. Workers therefore spin on a volatile
 * counter for a while after each region (the next one usually comes within microseconds) and park only when the
 * engine goes idle; the caller spins until every slice is done. Regions are run one at a time: the runner belongs
 * to one engine, and its sequences run on the engine's single inference thread.
 */
final class ParallelRunner implements AutoCloseable {

    /** Work on one slice {@code [from, to)} of the range; {@code worker} (0 = the caller) indexes per-thread scratch. */
    @FunctionalInterface
    interface RangeTask {
        void run(int worker, int from, int to);
    }

    /** Below this many multiply-adds a slice costs more to hand out than to compute. */
    private static final long MIN_WORK_PER_SLICE = 32 * 1024;
    /** About 100 microseconds of onSpinWait before a worker parks. */
    private static final int SPINS_BEFORE_PARKING = 20_000;

    private final int threads;
    private final Worker[] workers;

    ParallelRunner(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].thread.start();
        }
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, count)} in up to {@link #threads()} slices, or on the caller alone when the
     * work is too small to be worth handing out ({@code costPerItem * count} below a threshold).
     */
    void forRange(int count, long costPerItem, RangeTask task) {
        int slices = (int) Math.min(threads, Math.max(1, count * costPerItem / MIN_WORK_PER_SLICE));
        slices = Math.min(slices, count);
        if (slices <= 1) {
            task.run(0, 0, count);
            return;
        }
        for (int s = 1; s < slices; s++) {
            workers[s - 1].start(task, (int) ((long) count * s / slices), (int) ((long) count * (s + 1) / slices));
        }
        task.run(0, 0, (int) ((long) count / slices));
        for (int s = 1; s < slices; s++) {
            workers[s - 1].awaitDone();
        }
    }

    @Override
    public void close() {
        for (Worker worker : workers) {
            worker.closed = true;
            LockSupport.unpark(worker.thread);
        }
    }

    /**
     * One pool thread. The caller publishes a slice by writing task/from/to and then incrementing the volatile
     * {@code requested}; the worker publishes completion by setting the volatile {@code finished} to the same value.
     * Both sides write their flag before reading the other's ({@code requested} then {@code parked}, and
     * {@code parked} then {@code requested}), so a worker never sleeps through a request.
     */
    private static final class Worker implements Runnable {
        final Thread thread;
        private final int index;
        private RangeTask task;
        private int from;
        private int to;
        private volatile long requested;
        private volatile long finished;
        private volatile boolean parked;
        private volatile boolean closed;
        private volatile Throwable failure;

        Worker(int index) {
            this.index = index;
            this.thread = new Thread(this, "llm-cpu-" + index);
            thread.setDaemon(true);
        }

        void start(RangeTask task, int from, int to) {
            this.task = task;
            this.from = from;
            this.to = to;
            requested = requested + 1;
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        void awaitDone() {
            long target = requested;
            while (finished != target) {
                Thread.onSpinWait();
            }
            Throwable thrown = failure;
            if (thrown != null) {
                failure = null;
                if (thrown instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (thrown instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException(thrown);
            }
        }

        @Override
        public void run() {
            long done = 0;
            while (true) {
                int spins = 0;
                while (requested == done) {
                    if (closed) {
                        return;
                    }
                    if (++spins < SPINS_BEFORE_PARKING) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        if (requested == done && !closed) {
                            LockSupport.park(this);
                        }
                        parked = false;
                    }
                }
                done++;
                try {
                    task.run(index, from, to);
                } catch (Throwable t) {
                    failure = t;
                }
                finished = done;
            }
        }
    }
}
