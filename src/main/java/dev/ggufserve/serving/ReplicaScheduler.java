package dev.ggufserve.serving;

import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Hands each task to a free replica, one task per replica at a time, and lets at most
 * {@code maxQueue} tasks wait when all replicas are busy.
 *
 * <p>Submitting never blocks: a task either starts on the executor, waits in the queue, or is
 * refused with {@link QueueFullException}. When a task ends, its replica takes the next waiting task
 * that is not cancelled. All bookkeeping happens under one lock; tasks themselves run outside it.
 *
 * @param <R> what a replica is (its own KV sequence, in production)
 */
public final class ReplicaScheduler<R> {

    private static final Logger LOG = Logger.getLogger(ReplicaScheduler.class);

    private final Deque<R> freeReplicas;
    private final int replicaCount;
    private final int maxQueue;
    private final Executor workers;
    private final Deque<ReplicaTask<R>> waiting = new ArrayDeque<>();
    private final Object lock = new Object();

    /**
     * @param workers runs each task; it must offer at least one thread per replica so that a started
     *                task never waits for a thread
     */
    public ReplicaScheduler(List<R> replicas, int maxQueue, Executor workers) {
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("at least one replica is needed");
        }
        this.freeReplicas = new ArrayDeque<>(replicas);
        this.replicaCount = replicas.size();
        this.maxQueue = maxQueue;
        this.workers = workers;
    }

    /**
     * Starts {@code task} on a free replica or queues it.
     *
     * @throws QueueFullException when no replica is free and the queue is full
     */
    public void submit(ReplicaTask<R> task) {
        R replica;
        synchronized (lock) {
            replica = freeReplicas.pollFirst();
            if (replica == null) {
                if (waiting.size() >= maxQueue) {
                    throw new QueueFullException(maxQueue);
                }
                waiting.addLast(task);
                return;
            }
        }
        start(task, replica);
    }

    /** Tasks waiting for a replica (cancelled ones included until their turn comes). */
    public int queueDepth() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    /** Replicas running a task now. */
    public int busyReplicas() {
        synchronized (lock) {
            return replicaCount - freeReplicas.size();
        }
    }

    private void start(ReplicaTask<R> task, R replica) {
        workers.execute(() -> runThenContinue(task, replica));
    }

    /**
     * Runs a task, then keeps the replica busy with the waiting tasks. Staying on the same worker
     * thread avoids a hand-over per task; tasks that were cancelled while waiting are dropped here.
     */
    private void runThenContinue(ReplicaTask<R> first, R replica) {
        ReplicaTask<R> task = first;
        while (task != null) {
            try {
                if (task.isCancelled()) {
                    task.dropped();
                } else {
                    task.runOn(replica);
                }
            } catch (RuntimeException e) {
                // Tasks report their own failures to their clients; this only keeps the replica serving
                // if one slips through.
                LOG.error("A task failed outside its own error handling", e);
            }
            task = nextOrRelease(replica);
        }
    }

    private ReplicaTask<R> nextOrRelease(R replica) {
        synchronized (lock) {
            ReplicaTask<R> next = waiting.pollFirst();
            if (next == null) {
                freeReplicas.addLast(replica);
            }
            return next;
        }
    }
}
