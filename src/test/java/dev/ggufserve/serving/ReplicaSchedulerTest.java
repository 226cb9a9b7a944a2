package dev.ggufserve.serving;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplicaSchedulerTest {

    private static final long WAIT_SECONDS = 10;

    private final ExecutorService workers = Executors.newCachedThreadPool();
    /** What happened, in order: "ran <name> on <replica>" or "dropped <name>". */
    private final List<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopWorkers() {
        workers.shutdownNow();
    }

    /** A task that records itself and holds its replica until released. */
    private final class HeldTask implements ReplicaTask<String> {
        final String name;
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch ended = new CountDownLatch(1);
        volatile boolean cancelled;
        RuntimeException failure;

        HeldTask(String name) {
            this.name = name;
        }

        @Override
        public void runOn(String replica) {
            events.add("ran " + name + " on " + replica);
            started.countDown();
            try {
                assertTrue(release.await(WAIT_SECONDS, TimeUnit.SECONDS));
                if (failure != null) {
                    throw failure;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                ended.countDown();
            }
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public void dropped() {
            events.add("dropped " + name);
            ended.countDown();
        }

        void finish() throws InterruptedException {
            release.countDown();
            assertTrue(ended.await(WAIT_SECONDS, TimeUnit.SECONDS));
        }
    }

    @Test
    void runsOneTaskPerReplicaAndQueuesTheRest() throws InterruptedException {
        var scheduler = new ReplicaScheduler<>(List.of("r0", "r1"), 1, workers);
        var first = new HeldTask("first");
        var second = new HeldTask("second");
        var third = new HeldTask("third");
        scheduler.submit(first);
        scheduler.submit(second);
        assertTrue(first.started.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(second.started.await(WAIT_SECONDS, TimeUnit.SECONDS));
        scheduler.submit(third);

        assertEquals(2, scheduler.busyReplicas());
        assertEquals(1, scheduler.queueDepth());
        assertThrows(QueueFullException.class, () -> scheduler.submit(new HeldTask("fourth")));

        first.finish();
        assertTrue(third.started.await(WAIT_SECONDS, TimeUnit.SECONDS), "the freed replica takes the waiting task");
        assertEquals(0, scheduler.queueDepth());
        second.finish();
        third.finish();
        awaitIdle(scheduler);
        assertTrue(events.contains("ran third on r0"), "third ran on first's replica: " + events);
    }

    @Test
    void aTaskCancelledWhileWaitingIsDroppedWhenItsTurnComes() throws InterruptedException {
        var scheduler = new ReplicaScheduler<>(List.of("r0"), 2, workers);
        var running = new HeldTask("running");
        var leaving = new HeldTask("leaving");
        var staying = new HeldTask("staying");
        scheduler.submit(running);
        assertTrue(running.started.await(WAIT_SECONDS, TimeUnit.SECONDS));
        scheduler.submit(leaving);
        scheduler.submit(staying);
        leaving.cancelled = true;

        running.finish();
        staying.finish();
        assertTrue(leaving.ended.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(List.of("ran running on r0", "dropped leaving", "ran staying on r0"), events);
        awaitIdle(scheduler);
    }

    @Test
    void aFailingTaskLeavesTheReplicaServing() throws InterruptedException {
        var scheduler = new ReplicaScheduler<>(List.of("r0"), 1, workers);
        var failing = new HeldTask("failing");
        failing.failure = new IllegalStateException("engine fault");
        var next = new HeldTask("next");
        scheduler.submit(failing);
        scheduler.submit(next);

        failing.finish();
        next.finish();
        assertEquals(List.of("ran failing on r0", "ran next on r0"), events);
        awaitIdle(scheduler);
    }

    @Test
    void aZeroQueueRefusesAsSoonAsEveryReplicaIsBusy() throws InterruptedException {
        var scheduler = new ReplicaScheduler<>(List.of("r0"), 0, workers);
        var running = new HeldTask("running");
        scheduler.submit(running);
        assertThrows(QueueFullException.class, () -> scheduler.submit(new HeldTask("refused")));
        running.finish();
        awaitIdle(scheduler);

        var acceptedAgain = new HeldTask("accepted again");
        scheduler.submit(acceptedAgain);
        acceptedAgain.finish();
        assertEquals(List.of("ran running on r0", "ran accepted again on r0"), events);
        awaitIdle(scheduler);
    }

    /** The replica is handed back just after the task's last line ran, on the worker thread. */
    private static void awaitIdle(ReplicaScheduler<String> scheduler) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (scheduler.busyReplicas() > 0) {
            assertTrue(System.nanoTime() < deadline, "the replicas became free");
            Thread.sleep(1);
        }
    }
}
