package dev.ggufserve.engine.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a range of independent work items (matrix rows, attention heads) across a fixed set of threads: the
 * calling thread and persistent worker threads take chunks of it from a shared counter until none are left.
 *
 * <p>A token of decode runs about 160 parallel regions of well under a millisecond each, so handing out work must
 * cost microseconds, not the tens of microseconds of an executor's futures. Workers therefore spin on a volatile
 * counter for a while after each region (the next one usually comes within microseconds) and park only when the
 * engine goes idle; the caller spins until every worker is done. Regions are run one at a time: the runner belongs
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
    /** Chunks per thread of a region, so a delayed thread leaves its share to the others. */
    private static final int CHUNKS_PER_THREAD = 8;
    /** About 100 microseconds of onSpinWait before a worker parks. */
    private static final int SPINS_BEFORE_PARKING = 20_000;

    private final int threads;
    private final Worker[] workers;
    private final Region region = new Region();

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
     * Runs {@code task} over {@code [0, count)} on up to {@link #threads()} threads, or on the caller alone when the
     * work is too small to be worth handing out ({@code costPerItem * count} below a threshold).
     *
     * <p>The range is cut into about {@link #CHUNKS_PER_THREAD} chunks per thread, which the threads take in turn
     * from a shared counter, instead of one fixed slice each: on a 2-core machine that also runs the HTTP server
     * and other processes, a thread that loses its core for a moment would otherwise hold up the whole region
     * while the other one spins, finished.
     */
    void forRange(int count, long costPerItem, RangeTask task) {
        run(count, costPerItem, CHUNKS_PER_THREAD, task);
    }

    /**
     * As {@link #forRange}, but in one slice per thread: for tasks whose every call has a fixed cost that long
     * ranges amortize, such as {@code WeightMatrix.matMul}, which packs the tile's activations on each call
     * (measured: 8 chunks per thread took prefill from 1.34x/1.49x llama.cpp down to 0.99x/1.10x).
     */
    void forSlices(int count, long costPerItem, RangeTask task) {
        run(count, costPerItem, 1, task);
    }

    private void run(int count, long costPerItem, int chunksPerThread, RangeTask task) {
        int participants = (int) Math.min(threads, Math.max(1, count * costPerItem / MIN_WORK_PER_SLICE));
        participants = Math.min(participants, count);
        if (participants <= 1) {
            task.run(0, 0, count);
            return;
        }
        int chunks = (int) Math.min(count, Math.max(participants,
                Math.min((long) participants * chunksPerThread, count * costPerItem / MIN_WORK_PER_SLICE)));
        region.begin(task, count, chunks);
        for (int s = 1; s < participants; s++) {
            workers[s - 1].start(region);
        }
        region.runChunks(0);
        for (int s = 1; s < participants; s++) {
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
     * The region being run: {@code chunks} chunks of {@code [0, count)}, chunk c about
     * {@code [count * c / chunks, count * (c + 1) / chunks)}, handed out by an atomic counter.
     */
    private static final class Region {
        private static final int ALIGNMENT = 16;
        private final AtomicInteger nextChunk = new AtomicInteger();
        private RangeTask task;
        private int count;
        private int chunks;

        /** Called by the caller before the workers are started, which publishes these fields to them. */
        void begin(RangeTask task, int count, int chunks) {
            this.task = task;
            this.count = count;
            this.chunks = chunks;
            nextChunk.set(0);
        }

        /** Runs chunks until none are left. */
        void runChunks(int worker) {
            for (int c = nextChunk.getAndIncrement(); c < chunks; c = nextChunk.getAndIncrement()) {
                task.run(worker, boundary(c), boundary(c + 1));
            }
        }

        /**
         * Where chunk c starts: a multiple of {@link #ALIGNMENT} items when the chunks are long enough, so that row
         * ranges keep whole groups of the matMul kernel's rows.
         */
        private int boundary(int c) {
            int start = (int) ((long) count * c / chunks);
            return c == chunks || count < chunks * ALIGNMENT ? start : start & -ALIGNMENT;
        }
    }

    /**
     * One pool thread. The caller publishes a region by writing its field and then incrementing the volatile
     * {@code requested}; the worker publishes completion by setting the volatile {@code finished} to the same value.
     * Both sides write their flag before reading the other's ({@code requested} then {@code parked}, and
     * {@code parked} then {@code requested}), so a worker never sleeps through a request.
     */
    private static final class Worker implements Runnable {
        final Thread thread;
        private final int index;
        private Region region;
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

        void start(Region region) {
            this.region = region;
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
                    region.runChunks(index);
                } catch (Throwable t) {
                    failure = t;
                }
                finished = done;
            }
        }
    }
}
