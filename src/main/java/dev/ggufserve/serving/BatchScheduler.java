package dev.ggufserve.serving;

import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Accepts generations and keeps every replica stepping while it has work. Requests wait in one queue shared by the
 * replicas; each replica's worker admits from it into its own batch at every step ({@link ReplicaBatch}). At most
 * {@code replicas x maxBatch + maxQueue} requests are accepted at once (running or waiting); beyond that
 * {@link #submit} refuses with {@link QueueFullException}.
 *
 * <p>Submitting never blocks: it queues the generation and, when a replica is idle, starts that replica's worker
 * loop, which runs steps until its batch and the queue are both empty. All shared bookkeeping happens under one
 * lock; steps run outside it.
 */
public final class BatchScheduler implements WaitingQueue {

    private static final Logger LOG = Logger.getLogger(BatchScheduler.class);

    private final List<ReplicaBatch> replicas;
    private final boolean[] busy;
    private final int maxBatch;
    private final int maxQueue;
    private final Executor workers;
    private final Deque<Generation> waiting = new ArrayDeque<>();
    /** Generations accepted and not yet ended: running on a replica or waiting. */
    private int accepted;
    private final Object lock = new Object();

    /**
     * @param workers runs each replica's worker loop; it must offer a thread per replica so that a started loop
     *                never waits for a thread
     */
    BatchScheduler(List<ReplicaBatch> replicas, int maxBatch, int maxQueue, Executor workers) {
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("at least one replica is needed");
        }
        this.replicas = List.copyOf(replicas);
        this.busy = new boolean[replicas.size()];
        this.maxBatch = maxBatch;
        this.maxQueue = maxQueue;
        this.workers = workers;
    }

    /**
     * Queues {@code generation} and wakes an idle replica.
     *
     * @throws QueueFullException              when {@code replicas x maxBatch + maxQueue} requests are in already
     * @throws ContextLengthExceededException  when the generation could not fit in a replica's KV pool even alone
     */
    void submit(Generation generation) {
        int capacity = replicas.getFirst().capacityTokens();
        if (generation.maxLength() > capacity) {
            throw new ContextLengthExceededException(generation.maxLength(), capacity);
        }
        int idle = -1;
        synchronized (lock) {
            if (accepted >= replicas.size() * maxBatch + maxQueue) {
                throw new QueueFullException(replicas.size() * maxBatch, maxQueue);
            }
            accepted++;
            waiting.addLast(generation);
            for (int i = 0; i < busy.length && idle < 0; i++) {
                if (!busy[i]) {
                    busy[i] = true;
                    idle = i;
                }
            }
        }
        if (idle >= 0) {
            int replica = idle;
            workers.execute(() -> runWhileWork(replica));
        }
    }

    /** Requests waiting for a place in a batch (cancelled ones included until a replica drops them). */
    public int queueDepth() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    /** Replicas whose worker is stepping now. */
    public int busyReplicas() {
        synchronized (lock) {
            int count = 0;
            for (boolean replicaBusy : busy) {
                count += replicaBusy ? 1 : 0;
            }
            return count;
        }
    }

    /** Generations in the replicas' batches now. */
    public int runningSequences() {
        return replicas.stream().mapToInt(ReplicaBatch::runningCount).sum();
    }

    /** KV pages read by running generations, over all replicas. */
    public int kvPagesUsed() {
        return replicas.stream().mapToInt(ReplicaBatch::pagesUsed).sum();
    }

    /** KV pages free or holding only cached prefixes (reusable at once), over all replicas. */
    public int kvPagesFree() {
        return replicas.stream().mapToInt(ReplicaBatch::pagesFree).sum();
    }

    /** KV pages kept only by the prefix cache (counted in {@link #kvPagesFree} too), over all replicas. */
    public int kvPagesOnlyCached() {
        return replicas.stream().mapToInt(ReplicaBatch::pagesOnlyCached).sum();
    }

    @Override
    public Generation poll() {
        synchronized (lock) {
            return waiting.pollFirst();
        }
    }

    @Override
    public void putBack(Generation generation) {
        synchronized (lock) {
            waiting.addFirst(generation);
        }
    }

    @Override
    public void ended() {
        synchronized (lock) {
            accepted--;
        }
    }

    private void runWhileWork(int index) {
        ReplicaBatch replica = replicas.get(index);
        while (true) {
            try {
                replica.step(this);
            } catch (RuntimeException e) {
                // Steps report their generations' failures to their clients; this only keeps the replica serving
                // if one slips through.
                LOG.error("A step failed outside its own error handling", e);
            }
            synchronized (lock) {
                if (!replica.hasRunning() && waiting.isEmpty()) {
                    busy[index] = false;
                    return;
                }
            }
        }
    }
}
